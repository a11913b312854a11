using System.Net.Http.Headers;
using System.Text.Json;
using CamService.Cam;
using CamService.Imaging;
using CamService.Inference.Explanations;
using CamService.Inference.Methods;
using CamService.Models;
using Microsoft.Extensions.DependencyInjection;
using CamService.Testing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Tests;

/// <summary>
/// A request chooses what comes back (outputs), how large the pictures are (maxSize) and how the overlay
/// is encoded (format); the raw map and the geometry stay exact, and the pictures still line up.
/// </summary>
public sealed class OutputsTests(CamServiceFactory factory) : IClassFixture<CamServiceFactory>
{
    [Fact]
    public async Task MaxSize_CapsTheLongSide_KeepsTheAspect_AndReportsBothSizes()
    {
        var client = await factory.ReadyClientAsync();

        var photo = TestImages.Png(TestImages.RedPatch(64, 32, new Rectangle(0, 0, 16, 8)));
        var answer = await client.CamAsync(photo, ("models", "colour32"), ("maxSize", "40"));

        Assert.Equal(new ImageSize(64, 32), answer.Image);
        Assert.Equal(new ImageSize(40, 20), answer.Rendered);
        using var heatmap = Api.Decode(answer.Results[0].HeatmapPng);
        using var overlay = Api.Decode(answer.Results[0].OverlayPng);
        Assert.Equal((40, 20), (heatmap.Width, heatmap.Height));
        Assert.Equal((40, 20), (overlay.Width, overlay.Height));
        // The raw map does not depend on the pictures' size.
        var full = await client.CamAsync(photo, ("models", "colour32"), ("maxSize", "0"));
        Assert.Equal(new ImageSize(64, 32), full.Rendered);
        Assert.Equal(full.Results[0].Cam!.Data, answer.Results[0].Cam!.Data);
    }

    [Fact]
    public async Task MaxSize_LargerThanTheImage_KeepsTheImagesSize()
    {
        var client = await factory.ReadyClientAsync();

        var answer = await client.CamAsync(TestImages.RedTopLeftPng(48), ("models", "colour32"), ("maxSize", "4000"));

        Assert.Equal(new ImageSize(48, 48), answer.Rendered);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    public async Task CappedPictures_LightTheCornerWithTheEvidence(int right, int bottom)
    {
        var client = await factory.ReadyClientAsync();
        var (width, height) = (96, 64);

        var photo = TestImages.Png(TestImages.RedPatch(width, height, new Rectangle(right * width / 2, bottom * height / 2, width / 2, height / 2)));
        var answer = await client.CamAsync(photo, ("models", "colour32"), ("target", "red"), ("maxSize", "48"), ("colormap", "viridis"));

        using var heatmap = Api.Decode(answer.Results[0].HeatmapPng);
        Assert.Equal((48, 32), (heatmap.Width, heatmap.Height));
        // Viridis is darkest at 0 and brightest at 1: the quadrant with the red square is the brightest.
        var brightest = Quadrants(heatmap).MaxBy(q => q.Brightness);
        Assert.Equal((right, bottom), (brightest.X, brightest.Y));
    }

    [Fact]
    public async Task Outputs_CamOnly_LeavesThePicturesOut()
    {
        var client = await factory.ReadyClientAsync();

        using var response = await client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(), fields: [("models", "colour32"), ("outputs", "cam")]));
        var result = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("results")[0];

        Assert.True(result.TryGetProperty("cam", out _));
        Assert.False(result.TryGetProperty("heatmapPng", out _));
        Assert.False(result.TryGetProperty("overlayPng", out _));
        Assert.True(result.TryGetProperty("predictions", out _));
        Assert.Equal(0, result.GetProperty("timingsMs").GetProperty("render").GetDouble(), 1);
    }

    [Fact]
    public async Task Outputs_HeatmapOnly_HasNoOverlayAndNoRawMap()
    {
        var client = await factory.ReadyClientAsync();

        var result = (await client.CamAsync(TestImages.RedTopLeftPng(), ("models", "colour32"), ("outputs", "heatmap"))).Results[0];

        Assert.NotNull(result.HeatmapPng);
        Assert.Null(result.OverlayPng);
        Assert.Null(result.Cam);
    }

    [Theory]
    [InlineData("jpeg")]
    [InlineData("webp")]
    public async Task Format_EncodesTheOverlay_InItsOwnField(string format)
    {
        var client = await factory.ReadyClientAsync();

        var result = (await client.CamAsync(TestImages.RedTopLeftPng(64), ("models", "colour32"), ("outputs", "overlay"), ("format", format))).Results[0];

        Assert.Null(result.OverlayPng);
        var bytes = format == "jpeg" ? result.OverlayJpeg : result.OverlayWebp;
        Assert.NotNull(bytes);
        Assert.Null(format == "jpeg" ? result.OverlayWebp : result.OverlayJpeg);
        var detected = Image.DetectFormat(bytes);
        Assert.True(format == "jpeg" ? detected is JpegFormat : detected is WebpFormat, $"{format} overlay detected as {detected?.Name}");
        using var image = Image.Load<Rgb24>(bytes);
        Assert.Equal((64, 64), (image.Width, image.Height));
    }

    [Fact]
    public async Task FormatAuto_EncodesTheOverlayLikeTheUpload()
    {
        var client = await factory.ReadyClientAsync();
        using var photo = TestImages.RedPatch(64, 48, new Rectangle(0, 0, 16, 12));

        var fromJpeg = (await client.CamAsync(TestImages.Jpeg(photo), ("models", "colour32"))).Results[0];
        var fromPng = (await client.CamAsync(TestImages.Png(photo), ("models", "colour32"))).Results[0];
        var asked = (await client.CamAsync(TestImages.Jpeg(photo), ("models", "colour32"), ("format", "png"))).Results[0];

        Assert.IsType<JpegFormat>(Image.DetectFormat(fromJpeg.OverlayJpeg));
        Assert.Null(fromJpeg.OverlayPng);
        Assert.IsType<PngFormat>(Image.DetectFormat(fromPng.OverlayPng));
        Assert.Null(fromPng.OverlayJpeg);
        Assert.IsType<PngFormat>(Image.DetectFormat(asked.OverlayPng));
    }

    [Fact]
    public async Task DecodeHint_KeepsWhatTheOverlayAndEveryModelNeed()
    {
        await factory.ReadyClientAsync();
        var registry = factory.Services.GetRequiredService<ModelRegistry>();
        var models = new[] { registry.Find("colour32")!.Model!, registry.Find("colour48")!.Model! };
        var request = new CamRequest(TestImages.RedTopLeftPng(), null, ExplanationTarget.TopOneOnly, [CamMethods.Default.Find("gradcam")!], 5, Colormap.Jet, 0.5f,
            ResizeMode.Stretch, ResultParts.All, MaxSize: 100);

        var withOverlay = CamExplainer.DecodeHintFor(request, models);
        var heatmapOnly = CamExplainer.DecodeHintFor(request with { Outputs = ResultParts.Heatmap | ResultParts.Cam }, models);
        var fullSize = CamExplainer.DecodeHintFor(request with { MaxSize = 0 }, models);

        // The overlay's photo keeps the rendered size; the heatmap needs no photo pixels.
        Assert.Equal(100, withOverlay.LongSide);
        Assert.Equal(0, heatmapOnly.LongSide);
        Assert.Equal(int.MaxValue, fullSize.LongSide);
        // Every model resamples from at least 3 × its input (48 px for colour48).
        Assert.True(withOverlay.ShortSide >= 3 * 48, $"short side {withOverlay.ShortSide}");
        Assert.Equal(withOverlay.ShortSide, heatmapOnly.ShortSide);
    }

    [Fact]
    public async Task AcceptJpeg_WithOneModel_AnswersTheOverlayAsJpeg()
    {
        var client = await factory.ReadyClientAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/cam") { Content = Api.Form(TestImages.RedTopLeftPng(64), fields: ("models", "colour32")) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("image/jpeg"));

        using var response = await client.SendAsync(request);

        Assert.Equal("image/jpeg", response.Content.Headers.ContentType?.MediaType);
        Assert.IsType<JpegFormat>(Image.DetectFormat(await response.Content.ReadAsByteArrayAsync()));
    }

    [Theory]
    [InlineData("outputs", "cam,thumbnail", "Unknown output 'thumbnail'")]
    [InlineData("maxSize", "-5", "'maxSize' must be")]
    [InlineData("maxSize", "big", "'maxSize' must be")]
    [InlineData("format", "gif", "'format' must be auto, png, jpeg or webp")]
    public async Task BadChoice_Is400_NamingTheField(string field, string value, string message)
    {
        var client = await factory.ReadyClientAsync();

        var problem = await Api.ProblemAsync(await client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(), fields: [("models", "colour32"), (field, value)])), 400);

        Assert.Contains(message, problem.GetProperty("detail").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors names '{field}'");
    }

    static IEnumerable<(int X, int Y, double Brightness)> Quadrants(Image<Rgba32> image)
    {
        for (var qy = 0; qy < 2; qy++)
        {
            for (var qx = 0; qx < 2; qx++)
            {
                double sum = 0;
                for (var y = qy * image.Height / 2; y < (qy + 1) * image.Height / 2; y++)
                {
                    for (var x = qx * image.Width / 2; x < (qx + 1) * image.Width / 2; x++)
                    {
                        var p = image[x, y];
                        sum += p.R + p.G + p.B;
                    }
                }
                yield return (qx, qy, sum);
            }
        }
    }
}
