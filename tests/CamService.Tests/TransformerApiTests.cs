using System.Net.Http.Json;
using CamService.Inference.Methods;
using CamService.Models;
using CamService.Testing;

namespace CamService.Tests;

/// <summary>
/// Plain ViT, Swin, Swin V2, ConvNeXt and MaxViT exports (opset 17, dynamic batch, no metadata: <see cref="TinyTransformers"/>)
/// dropped into the models folder: prepared at start-up, described by GET /models with their layer and grid, and
/// served by POST /cam with every method, beside the CNNs, with their agreement.
/// </summary>
public sealed class TransformerApiTests(TransformerApiTests.Service service) : IClassFixture<TransformerApiTests.Service>
{
    /// <summary>
    /// Nine models to load, five of them prepared at start-up: one thread each (ThreadsTests cover the measuring), so the
    /// service is ready in seconds even beside the heavy test classes.
    /// </summary>
    public sealed class Service() : CamServiceFactory(
        new() { ["Cam:MaxMapsPerRequest"] = "64", ["Cam:DefaultScoreCamChannels"] = "4", ["Inference:Threads"] = "1" },
        directory => TinyTransformers.CopyTo(directory, TinyTransformers.Names));

    [Fact]
    public async Task Models_DescribeEachTransformersLayerAndGrid()
    {
        var client = await service.ReadyClientAsync();
        var models = (await client.GetFromJsonAsync<ModelDescription[]>("/models", Api.Json))!.ToDictionary(m => m.Id);

        Assert.All(TinyTransformers.Names, name => Assert.Equal("ready", models[name].Status));
        Assert.Equal(("TOKENS", new Size(4, 4), 1), (models["vit"].TargetLayout, models["vit"].Grid, models["vit"].ExtraTokens));
        Assert.Contains("ln_1", models["vit"].TargetLayer);
        Assert.Equal(("NHWC", new Size(8, 8), (int?)null), (models["swin"].TargetLayout, models["swin"].Grid, models["swin"].ExtraTokens));
        Assert.Contains("norm1", models["swin"].TargetLayer);
        Assert.Equal(("NHWC", new Size(8, 8)), (models["swinv2"].TargetLayout, models["swinv2"].Grid));
        Assert.Equal(("NCHW", new Size(8, 8)), (models["convnext"].TargetLayout, models["convnext"].Grid));
        Assert.Equal(("NCHW", new Size(8, 8)), (models["maxvit"].TargetLayout, models["maxvit"].Grid));
        Assert.Equal(("NCHW", new Size(8, 8)), (models["colour32"].TargetLayout, models["colour32"].Grid));
    }

    [Fact]
    public async Task Cam_ServesEveryMethodOnEveryFamily()
    {
        var client = await service.ReadyClientAsync();
        var methods = CamMethods.Default.Names.ToList();

        var answer = await client.CamAsync(TestImages.Png(TestImages.Noise(96, 80)),
            ("models", string.Join(",", TinyTransformers.Names)), ("method", string.Join(",", methods)), ("outputs", "cam,overlay"), ("maxSize", "96"));

        Assert.Equal(TinyTransformers.Names.SelectMany(model => methods.Select(method => (model, method))),
            answer.Results.Select(r => (r.Model, r.Method)));
        Assert.All(answer.Results, result =>
        {
            var grid = result.Model == "vit" ? 4 : 8;
            Assert.Equal((grid, grid), (result.Cam!.Width, result.Cam.Height));
            Assert.All(result.Cam.Data, value => Assert.True(float.IsFinite(value)));
            Assert.NotNull(result.OverlayPng);
        });
    }

    [Fact]
    public async Task Agreement_ComparesAFourByFourTokenGridWithEightByEightMaps()
    {
        var client = await service.ReadyClientAsync();

        var answer = await client.CamAsync(TestImages.Png(TestImages.Noise(64, 64)), ("models", "vit,convnext,colour32"), ("agreement", "true"),
            ("outputs", "cam"));

        var agreement = Assert.Single(answer.Agreement!);
        Assert.Equal(["vit", "convnext", "colour32"], agreement.Models);
        Assert.All(agreement.Spearman.SelectMany(row => row), value => Assert.InRange(value, -1, 1));
        Assert.Equal([1.0, 1.0, 1.0], Enumerable.Range(0, 3).Select(i => Math.Round(agreement.Spearman[i][i], 6)));
    }

    /// <summary>Faithfulness of a token grid's maps and of a channels-last grid's, several targets each: finite scores and full curves.</summary>
    [Fact]
    public async Task Metrics_ScoreTransformerMaps_ForSeveralTargets()
    {
        var client = await service.ReadyClientAsync();

        var answer = await client.CamAsync(TestImages.Png(TestImages.Noise(64, 64)), ("models", "vit,swin"), ("target", "3,281"),
            ("metrics", "all"), ("metricSteps", "5"), ("outputs", "cam"));

        Assert.Equal([("vit", 3), ("vit", 281), ("swin", 3), ("swin", 281)], answer.Results.Select(r => (r.Model, r.Target.Index)));
        Assert.All(answer.Results, result =>
        {
            var metrics = result.Metrics!;
            Assert.True(double.IsFinite(metrics.AverageDrop!.Value) && double.IsFinite(metrics.DeletionAuc!.Value) && double.IsFinite(metrics.InsertionAuc!.Value));
            Assert.Equal(6, metrics.DeletionCurve!.Length);
            Assert.Equal(6, metrics.InsertionCurve!.Length);
        });
    }

    /// <summary>The animated comparison takes a transformer's frame beside a CNN's.</summary>
    [Fact]
    public async Task Animation_HasAFramePerModel_TransformersIncluded()
    {
        var client = await service.ReadyClientAsync();

        using var response = await client.PostAsync("/cam/animation", Api.Form(TestImages.Png(TestImages.Noise(64, 48)),
            fields: [("models", "vit,swinv2,convnext")]));

        Assert.True(response.IsSuccessStatusCode, $"POST /cam/animation answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        using var gif = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(3, gif.Frames.Count);
    }
}
