using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CamService.Cam;
using CamService.Hosting;
using CamService.Testing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Tests;

public sealed class CamApiTests(CamServiceFactory factory) : IClassFixture<CamServiceFactory>
{
    [Fact]
    public async Task Cam_ByDefault_ExplainsWithEveryReadyModel_TopOne()
    {
        var client = await factory.ReadyClientAsync();
        var answer = await client.CamAsync(TestImages.RedTopLeftPng(40));

        Assert.Equal(new ImageSize(40, 40), answer.Image);
        Assert.Equal(CamServiceFactory.ReadyModels, answer.Results.Select(r => r.Model));
        foreach (var result in answer.Results)
        {
            Assert.Equal("gradcam", result.Method);
            Assert.Equal(4, result.Predictions.Count); // topk 5, but the models have 4 classes
            Assert.Equal(result.Predictions[0].Index, result.Target.Index);
            Assert.Equal(result.Predictions[0].Label, result.Target.Label);
            Assert.Equal(1f, result.Predictions.Sum(p => p.Probability), 3);
            Assert.True(result.Predictions.Zip(result.Predictions.Skip(1)).All(p => p.First.Probability >= p.Second.Probability));
            Assert.Equal(result.Cam!.Width * result.Cam!.Height, result.Cam!.Data.Length);
            Assert.True(result.TimingsMs.Inference > 0);
            using var heatmap = Api.Decode(result.HeatmapPng);
            using var overlay = Api.Decode(result.OverlayPng);
            Assert.Equal((40, 40), (heatmap.Width, heatmap.Height));
            Assert.Equal((40, 40), (overlay.Width, overlay.Height));
        }
        Assert.Equal((8, 8), (answer.Results[0].Cam!.Width, answer.Results[0].Cam!.Height));
        Assert.Equal((12, 12), (answer.Results[1].Cam!.Width, answer.Results[1].Cam!.Height));
        Assert.False(answer.Results[0].Untrained);
        Assert.True(answer.Results[1].Untrained);
    }

    [Fact]
    public async Task Cam_SaysWhereTheTimeWent_InServerTiming()
    {
        var client = await factory.ReadyClientAsync();
        using var response = await client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(40), fields: ("agreement", "true")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var timing = string.Join(", ", response.Headers.GetValues(ServerTiming.Header));
        Assert.Matches(@"^read;dur=\d+\.\d, queue;dur=\d+\.\d, queue-predicted;dur=\d+\.\d, decode;dur=\d+\.\d, explain;dur=\d+\.\d, inference;dur=\d+\.\d, render;dur=\d+\.\d, " +
                       @"agreement;dur=\d+\.\d, write;dur=\d+\.\d$", timing);
        var answer = JsonSerializer.Deserialize<CamResponse>(await response.Content.ReadAsStringAsync(), Api.Json)!;
        var render = double.Parse(System.Text.RegularExpressions.Regex.Match(timing, @"render;dur=([\d.]+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(answer.Results.Sum(r => r.TimingsMs.Render), render, 0.1 * answer.Results.Count);
    }

    [Fact]
    public async Task Models_AreAnsweredInTheOrderAsked()
    {
        var client = await factory.ReadyClientAsync();
        var answer = await client.CamAsync(TestImages.RedTopLeftPng(), ("models", "plain32, colour32"));
        Assert.Equal(["plain32", "colour32"], answer.Results.Select(r => r.Model));
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("2", 2)]
    [InlineData("green", 1)]
    [InlineData("dark", 3)]
    public async Task Target_ByIndexOrExactLabel(string target, int index)
    {
        var client = await factory.ReadyClientAsync();
        var answer = await client.CamAsync(TestImages.RedTopLeftPng(), ("models", "colour32"), ("target", target));
        Assert.Equal(index, answer.Results[0].Target.Index);
        Assert.Equal(TestModels.Labels[index], answer.Results[0].Target.Label);
    }

    [Fact]
    public async Task Target_ScoreIsTheLogit_AndTheMapFollowsTheClass()
    {
        var client = await factory.ReadyClientAsync();
        var red = (await client.CamAsync(TestImages.RedTopLeftPng(), ("models", "colour32"), ("target", "red"))).Results[0];
        var dark = (await client.CamAsync(TestImages.RedTopLeftPng(), ("models", "colour32"), ("target", "dark"))).Results[0];
        // Red evidence covers a quarter of each side: the red logit is the patch's share of the image.
        Assert.Equal(1f / 16, red.Target.Score, 3);
        // The red map is hot in the patch's cells only, the dark map everywhere else.
        Assert.True(red.Cam!.Data[0] > 0 && red.Cam!.Data[^1] == 0);
        Assert.True(dark.Cam!.Data[0] < dark.Cam!.Data[^1]);
    }

    [Fact]
    public async Task TopK_LimitsThePredictions()
    {
        var client = await factory.ReadyClientAsync();
        var answer = await client.CamAsync(TestImages.RedTopLeftPng(), ("models", "colour32"), ("topk", "2"));
        Assert.Equal(2, answer.Results[0].Predictions.Count);
    }

    [Fact]
    public async Task Colormap_ChangesTheColours()
    {
        var client = await factory.ReadyClientAsync();
        var jet = (await client.CamAsync(TestImages.RedTopLeftPng(), ("models", "colour32"), ("colormap", "jet"))).Results[0];
        var viridis = (await client.CamAsync(TestImages.RedTopLeftPng(), ("models", "colour32"), ("colormap", "viridis"))).Results[0];
        using var a = Api.Decode(jet.HeatmapPng);
        using var b = Api.Decode(viridis.HeatmapPng);
        Assert.NotEqual(a[31, 31], b[31, 31]);
        Assert.Equal(jet.Cam!.Data, viridis.Cam!.Data);
    }

    [Fact]
    public async Task Alpha_BlendsTheHeatmapOverTheImage()
    {
        var client = await factory.ReadyClientAsync();
        var png = TestImages.RedTopLeftPng();
        using var original = Image.Load<Rgba32>(png);
        var invisible = (await client.CamAsync(png, ("models", "colour32"), ("alpha", "0"))).Results[0];
        var opaque = (await client.CamAsync(png, ("models", "colour32"), ("alpha", "1"))).Results[0];
        var half = (await client.CamAsync(png, ("models", "colour32"), ("alpha", "0.5"))).Results[0];

        using var overlay0 = Api.Decode(invisible.OverlayPng);
        using var overlay1 = Api.Decode(opaque.OverlayPng);
        using var overlayHalf = Api.Decode(half.OverlayPng);
        using var heatmap = Api.Decode(half.HeatmapPng);
        foreach (var (x, y) in new[] { (1, 1), (16, 16), (30, 2), (31, 31) })
        {
            Assert.Equal(original[x, y].Rgb, overlay0[x, y].Rgb);
            Assert.Equal(heatmap[x, y].Rgb, overlay1[x, y].Rgb);
            Assert.InRange(overlayHalf[x, y].R, (original[x, y].R + heatmap[x, y].R) / 2 - 1, (original[x, y].R + heatmap[x, y].R) / 2 + 1);
            Assert.InRange(overlayHalf[x, y].B, (original[x, y].B + heatmap[x, y].B) / 2 - 1, (original[x, y].B + heatmap[x, y].B) / 2 + 1);
        }
    }

    [Fact]
    public async Task Json_WithBase64Image_GivesTheSameAnswerAsMultipart()
    {
        var client = await factory.ReadyClientAsync();
        var png = TestImages.RedTopLeftPng();
        var multipart = await client.CamAsync(png, ("models", "colour32"), ("target", "red"), ("colormap", "turbo"));

        // With its length declared (the buffer sized once) and chunked (grown as it arrives).
        foreach (var (image, sized) in new[] { (Convert.ToBase64String(png), true), ("data:image/png;base64," + Convert.ToBase64String(png), true), (Convert.ToBase64String(png), false) })
        {
            var json = JsonSerializer.Serialize(new { image, models = "colour32", target = "red", colormap = "turbo", alpha = 0.5, topk = 5 });
            var content = new HeldContent(new StringContent(json, Encoding.UTF8, "application/json"), sized);
            content.Release();
            // The plain test client: the default one buffers request bodies, and sends their length.
            using var response = await factory.Server.CreateClient().PostAsync("/cam", content);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var answer = JsonSerializer.Deserialize<CamResponse>(await response.Content.ReadAsStringAsync(), Api.Json)!;
            Assert.Equal(multipart.Results[0].Cam!.Data, answer.Results[0].Cam!.Data);
            Assert.Equal(multipart.Results[0].OverlayPng, answer.Results[0].OverlayPng);
        }
    }

    [Fact]
    public async Task AcceptPng_WithOneModel_AnswersTheOverlayItself()
    {
        var client = await factory.ReadyClientAsync();
        var png = TestImages.RedTopLeftPng();
        var json = await client.CamAsync(png, ("models", "colour32"));

        using var request = new HttpRequestMessage(HttpMethod.Post, "/cam") { Content = Api.Form(png, fields: ("models", "colour32")) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("image/png"));
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(json.Results[0].OverlayPng, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task AcceptPng_WithSeveralModels_Is406Problem()
    {
        var client = await factory.ReadyClientAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/cam") { Content = Api.Form(TestImages.RedTopLeftPng()) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("image/png"));
        await Api.ProblemAsync(await client.SendAsync(request), 406);
    }

    [Fact]
    public async Task ConcurrentRequests_AnswerAsSequentialOnesDo()
    {
        var client = await factory.ReadyClientAsync();
        var requests = Enumerable.Range(0, 12).Select(i => (
            Image: TestImages.Png(TestImages.RedPatch(32 + i, 32, new Rectangle(i, 0, 8, 8))),
            Fields: new[] { ("models", i % 2 == 0 ? "colour32,colour48" : "plain32"), ("target", (i % 4).ToString()), ("resize", i % 3 == 0 ? "crop" : "stretch") })).ToList();

        var sequential = new List<string>();
        foreach (var (image, fields) in requests)
        {
            sequential.Add(WithoutTimings(await client.CamAsync(image, fields)));
        }
        var concurrent = await Task.WhenAll(requests.Select(async r => WithoutTimings(await client.CamAsync(r.Image, r.Fields))));
        Assert.Equal(sequential, concurrent);
    }

    static string WithoutTimings(CamResponse answer) =>
        JsonSerializer.Serialize(answer with { Results = answer.Results.Select(r => r with { TimingsMs = new Timings(0, 0, 0, 0) }).ToList() });
}
