using System.Net.Http.Json;
using System.Text;
using CamService.Animation;
using CamService.Cam;
using CamService.Hosting;
using CamService.Imaging.Animation;
using CamService.Inference.Explanations;
using CamService.Models;
using CamService.Testing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Tests;

public sealed class AnimationApiTests(CamServiceFactory factory) : IClassFixture<CamServiceFactory>
{
    static readonly int CaptionHeight = Caption.Height(FrameCaption.LineCount, 1);

    static async Task<Image<Rgb24>> GifAsync(HttpClient client, byte[] image, params (string Name, string Value)[] fields)
    {
        using var response = await client.PostAsync("/cam/animation", Api.Form(image, fields: fields));
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST /cam/animation answered {(int)response.StatusCode}: {Encoding.UTF8.GetString(body)}");
        Assert.Equal(AnimationEndpoints.MediaType, response.Content.Headers.ContentType?.MediaType);
        var timing = string.Join(", ", response.Headers.GetValues(ServerTiming.Header));
        Assert.Matches(@"explain;dur=\d+\.\d.*encode;dur=\d+\.\d", timing);
        return Image.Load<Rgb24>(body);
    }

    [Fact]
    public async Task Animation_HasAFramePerModel_ShowingEachForASecond_LoopingForever()
    {
        var client = await factory.ReadyClientAsync();
        using var gif = await GifAsync(client, TestImages.RedTopLeftPng(40), ("models", "colour32,colour48"));

        Assert.Equal(2, gif.Frames.Count);
        Assert.Equal((40, 40 + CaptionHeight), (gif.Width, gif.Height));
        Assert.Equal(0, gif.Metadata.GetGifMetadata().RepeatCount);
        Assert.All(Enumerable.Range(0, 2), i => Assert.Equal(100, gif.Frames[i].Metadata.GetGifMetadata().FrameDelay));
    }

    [Fact]
    public async Task FrameMs_SetsTheDelay_InJsonToo()
    {
        var client = await factory.ReadyClientAsync();
        var body = new { image = Convert.ToBase64String(TestImages.RedTopLeftPng(40)), models = new[] { "colour32" }, method = "gradcam,eigencam", frameMs = 250 };
        using var response = await client.PostAsJsonAsync("/cam/animation", body);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        using var gif = Image.Load<Rgb24>(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(2, gif.Frames.Count);
        Assert.All(Enumerable.Range(0, 2), i => Assert.Equal(25, gif.Frames[i].Metadata.GetGifMetadata().FrameDelay));
    }

    [Fact]
    public async Task Frames_AreTheOverlaysOfCam_InItsOrder_WithTheirCaptionsBelow()
    {
        var client = await factory.ReadyClientAsync();
        using var photo = TestImages.RedPatch(320, 240, new Rectangle(0, 0, 200, 150));
        var png = TestImages.Png(photo);
        (string, string)[] fields = [("models", "colour48,colour32"), ("target", "red,dark")];
        using var gif = await GifAsync(client, png, fields);
        var cam = await client.CamAsync(png, [.. fields, ("format", "png")]);
        var models = (await client.GetFromJsonAsync<ModelDescription[]>("/models", Api.Json))!.ToDictionary(m => m.Id);

        Assert.Equal(cam.Results.Count, gif.Frames.Count);
        Assert.Equal((320, 240 + CaptionHeight), (gif.Width, gif.Height));
        for (var i = 0; i < cam.Results.Count; i++)
        {
            var result = cam.Results[i];
            var frame = gif.Frames[i];
            using var overlay = Image.Load<Rgb24>(result.OverlayPng!);
            AssertClose(overlay, frame, 0, 0, 320, 240, tolerance: 48, meanTolerance: 6);

            var probability = result.Predictions.Single(p => p.Index == result.Target.Index).Probability;
            var lines = AnimationCaption.Lines(models[result.Model], new MapExplanation(result.Method, result.Target, probability, result.Cam!, 0));
            Assert.Equal(result.Model == "colour48", lines[0].StartsWith($"{FrameCaption.UntrainedMark} colour48", StringComparison.Ordinal));
            Assert.Contains($"{result.Model} - gradcam", lines[0], StringComparison.Ordinal);
            Assert.StartsWith($"{result.Target.Label} ", lines[1], StringComparison.Ordinal);
            Assert.Contains(" params", lines[2], StringComparison.Ordinal);
            using var caption = new Image<Rgb24>(320, CaptionHeight);
            Caption.Draw(caption, 0, lines, 1);
            // Text is there: many pixels of each line's band differ from the background.
            var inked = Enumerable.Range(240, CaptionHeight).Sum(y => Enumerable.Range(0, 320).Count(x => Distance(frame[x, y], Caption.Background) > 100));
            Assert.True(inked > 300, $"Frame {i}'s caption has {inked} light pixels.");
            AssertClose(caption, frame, 0, 240, 320, CaptionHeight, tolerance: 24, meanTolerance: 2);
        }
    }

    [Fact]
    public async Task MaxSize_DefaultsTo640_AndIsCapped()
    {
        var client = await factory.ReadyClientAsync();
        var png = TestImages.Png(TestImages.RedPatch(1500, 300, new Rectangle(0, 0, 100, 100)));
        using (var byDefault = await GifAsync(client, png, ("models", "colour32")))
        {
            Assert.Equal((640, 128 + Caption.Height(3, 2)), (byDefault.Width, byDefault.Height));
        }
        using (var whole = await GifAsync(client, png, ("models", "colour32"), ("maxSize", "0")))
        {
            Assert.Equal((1280, 256 + Caption.Height(3, 4)), (whole.Width, whole.Height));
        }
        using (var small = await GifAsync(client, png, ("models", "colour32"), ("maxSize", "300")))
        {
            Assert.Equal((300, 60 + CaptionHeight), (small.Width, small.Height));
        }
    }

    [Fact]
    public async Task TooManyFrames_Is400_NamingTheLimit()
    {
        var client = await factory.ReadyClientAsync();
        var limit = new AnimationOptions().MaxFrames;
        using var response = await client.PostAsync("/cam/animation", Api.Form(TestImages.RedTopLeftPng(),
            fields: [("models", "colour32,colour48,plain32"), ("method", "gradcam,gradcam++,xgradcam,hirescam,layercam"), ("target", "0,1")]));
        var problem = await Api.ProblemAsync(response, 400);
        Assert.Contains($"the limit is {limit} (Cam:Animation:MaxFrames)", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(["method", "models", "target"], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).Order());
    }

    [Fact]
    public async Task TooManyPixels_Is400_NamingTheLimit()
    {
        var client = await factory.ReadyClientAsync();
        var png = TestImages.Png(TestImages.RedPatch(1600, 1200, new Rectangle(0, 0, 100, 100)));
        using var response = await client.PostAsync("/cam/animation", Api.Form(png,
            fields: [("models", "colour32,colour48,plain32"), ("method", "gradcam,layercam"), ("target", "0,1"), ("maxSize", "1280")]));
        var problem = await Api.ProblemAsync(response, 400);
        Assert.Contains("(Cam:Animation:MaxPixels)", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.True(problem.GetProperty("errors").TryGetProperty("maxSize", out _));
    }

    [Theory]
    [InlineData("frameMs", "99")]
    [InlineData("frameMs", "10001")]
    [InlineData("frameMs", "fast")]
    [InlineData("outputs", "cam")]
    [InlineData("format", "png")]
    [InlineData("topk", "3")]
    [InlineData("metrics", "all")]
    [InlineData("agreement", "true")]
    [InlineData("colour", "red")]
    public async Task BadField_Is400_NamingIt(string field, string value)
    {
        var client = await factory.ReadyClientAsync();
        using var response = await client.PostAsync("/cam/animation", Api.Form(TestImages.RedTopLeftPng(), fields: [("models", "colour32"), (field, value)]));
        var problem = await Api.ProblemAsync(response, 400);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task BadImages_AreProblems_AsForCam()
    {
        var client = await factory.ReadyClientAsync();
        var png = TestImages.RedTopLeftPng(64);
        var corrupt = png[..(png.Length / 3)].Concat(Enumerable.Repeat((byte)0x5A, 64)).ToArray();
        await Api.ProblemAsync(await client.PostAsync("/cam/animation", Api.Form(corrupt, fields: ("models", "colour32"))), 422);
        await Api.ProblemAsync(await client.PostAsync("/cam/animation", Api.Form("not a picture"u8.ToArray(), fields: ("models", "colour32"))), 415);
        await Api.ProblemAsync(await client.PostAsync("/cam/animation", Api.Form(png, fields: ("models", "nosuchmodel"))), 404);
    }

    [Fact]
    public async Task Swagger_DocumentsTheGif()
    {
        var client = await factory.ReadyClientAsync();
        using var document = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync("/swagger/v1/swagger.json"));
        var post = document.RootElement.GetProperty("paths").GetProperty("/cam/animation").GetProperty("post");
        Assert.True(post.GetProperty("responses").GetProperty("200").GetProperty("content").TryGetProperty("image/gif", out _));
        Assert.True(post.GetProperty("requestBody").GetProperty("content").TryGetProperty("multipart/form-data", out _));
        Assert.True(post.GetProperty("responses").TryGetProperty("503", out _), "Admission control documents its 503.");
    }

    static int Distance(Rgb24 a, Rgb24 b) => Math.Abs(a.R - b.R) + Math.Abs(a.G - b.G) + Math.Abs(a.B - b.B);

    /// <summary>The frame's region from <paramref name="top"/> matches <paramref name="expected"/> (drawn from row 0) within GIF quantisation.</summary>
    static void AssertClose(Image<Rgb24> expected, ImageFrame<Rgb24> frame, int left, int top, int width, int height, int tolerance, double meanTolerance)
    {
        var difference = FrameDifference.Of(expected, frame, left, top, width, height);
        Assert.True(difference.Within(tolerance, meanTolerance), difference.ToString());
    }
}

public sealed class AnimationCaptionTests
{
    static ModelDescription Model(string id, bool untrained, long? parameters, double? gigaMacs, double? latencyMs) => new(
        id, "ResNet", id, "ready", null, new Models.Size(224, 224), parameters, gigaMacs, "layer4", "NCHW", new Models.Size(7, 7), null, [2048, 7, 7], 1000,
        untrained ? "random" : "pretrained", untrained, null, untrained ? null : 80.3, untrained ? null : 95.1, "cpu", latencyMs, null);

    static readonly MapExplanation Tabby = new("gradcam", new TargetScore(281, "tabby", 12.3f), 0.7104f, new CamMap(1, 1, [1f]), 0.2);

    [Fact]
    public void Lines_NameTheModelAndMethod_TheClass_AndTheModelsSizeAndSpeed()
    {
        Assert.Equal(["resnet50 - gradcam", "tabby 71.0%", "25.6M params  4.09 GMACs  44 ms"],
            AnimationCaption.Lines(Model("resnet50", false, 25_557_032, 4.0897, 43.6), Tabby));
    }

    [Fact]
    public void Lines_PutUntrainedFirst_ForRandomWeights()
    {
        var lines = AnimationCaption.Lines(Model("efficientnet_b0", true, 5_288_548, 0.3861, 8.26), Tabby);
        Assert.Equal("UNTRAINED efficientnet_b0 - gradcam", lines[0]);
        Assert.Equal("5.3M params  0.39 GMACs  8.3 ms", lines[2]);
        // Too long for a narrow frame, the line keeps the label and loses its end.
        Assert.Equal("UNTRAINED effic...", BitmapFont.Fit(lines[0], 107, 1));
    }

    [Fact]
    public void Lines_LeaveOutWhatIsNotKnown()
    {
        Assert.Equal(["m - gradcam", "tabby 71.0%", "812 params"], AnimationCaption.Lines(Model("m", false, 812, null, null), Tabby));
        Assert.Equal("0.05 ms", AnimationCaption.Lines(Model("m", false, null, null, 0.049), Tabby)[2]);
    }
}
