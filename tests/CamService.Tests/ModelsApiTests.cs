using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CamService.Models;
using CamService.Onnx.CamReady;
using CamService.Testing;

namespace CamService.Tests;

public sealed class ModelsApiTests(CamServiceFactory factory) : IClassFixture<CamServiceFactory>
{
    [Fact]
    public async Task Models_ListsEveryFile_WithFactsStatusAndLatency()
    {
        var client = await factory.ReadyClientAsync();
        var models = (await client.GetFromJsonAsync<ModelDescription[]>("/models", Api.Json))!;

        Assert.Equal(["broken", "colour32", "colour48", "plain32"], models.Select(m => m.Id));
        foreach (var model in models.Where(m => m.Id != "broken"))
        {
            Assert.Equal("ready", model.Status);
            Assert.Null(model.Error);
            Assert.Equal(4, model.NumClasses);
            Assert.Equal(4, model.ActivationShape![0]);
            Assert.True(model.Parameters > 0);
            Assert.True(model.GigaMacs > 0);
            Assert.True(model.LatencyMs > 0);
            Assert.Equal("cpu", model.Device);
            Assert.Equal("features", model.TargetLayer);
        }
        var colour48 = models.Single(m => m.Id == "colour48");
        Assert.Equal(new Size(48, 48), colour48.InputSize);
        Assert.Equal([4, 12, 12], colour48.ActivationShape!);
        Assert.Equal("OtherNet", colour48.Family);
        Assert.Equal("random", colour48.Weights);
        Assert.True(colour48.Untrained);
        Assert.False(models.Single(m => m.Id == "colour32").Untrained);
    }

    [Fact]
    public async Task BrokenModel_IsReportedWithItsReason_WhileTheOthersServe()
    {
        var client = await factory.ReadyClientAsync();
        var broken = await client.GetFromJsonAsync<ModelDescription>("/models/broken", Api.Json);
        Assert.Equal("failed", broken!.Status);
        Assert.Contains("not an ONNX model", broken.Error);

        var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var health = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement;
        var data = health.GetProperty("checks").GetProperty("models").GetProperty("data");
        Assert.StartsWith("failed: ", data.GetProperty("broken").GetString());
        Assert.Equal("ready", data.GetProperty("colour32").GetString());
    }

    [Fact]
    public async Task PlainModel_IsPreparedAtStartUp_AndCached()
    {
        var client = await factory.ReadyClientAsync();
        var plain = await client.GetFromJsonAsync<ModelDescription>("/models/plain32", Api.Json);
        Assert.Equal("ready", plain!.Status);
        var cached = Directory.GetFiles(Path.Combine(factory.ModelsDirectory, ".cache"), "plain32-*.onnx");
        Assert.Single(cached);
    }

    [Fact]
    public async Task Labels_AreListedByIndex()
    {
        var client = await factory.ReadyClientAsync();
        var labels = await client.GetFromJsonAsync<string[]>("/models/colour32/labels");
        Assert.Equal(["red", "green", "blue", "dark"], labels!);
    }

    [Theory]
    [InlineData("/models/nope")]
    [InlineData("/models/nope/labels")]
    public async Task UnknownModel_Is404Problem(string path)
    {
        var client = await factory.ReadyClientAsync();
        var problem = await Api.ProblemAsync(await client.GetAsync(path), 404);
        Assert.Contains("colour32", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task LabelsOfAFailedModel_Are503Problem()
    {
        var client = await factory.ReadyClientAsync();
        await Api.ProblemAsync(await client.GetAsync("/models/broken/labels"), 503);
    }

    [Fact]
    public async Task Liveness_AnswersAlways()
    {
        var client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
    }

    [Fact]
    public async Task Swagger_DocumentsTheApi()
    {
        var client = await factory.ReadyClientAsync();
        var document = await client.GetStringAsync("/swagger/v1/swagger.json");
        Assert.Contains("\"/cam\"", document);
        Assert.Contains("\"/models\"", document);
        Assert.Contains("multipart/form-data", document);
        Assert.Contains("CamResponse", document);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/swagger/index.html")).StatusCode);
    }

    /// <summary>
    /// Published accuracy belongs to the published weights: a pretrained model shows the metadata's top-1 and top-5, and a
    /// model with random weights shows none even where its metadata carries one (copied from the weights it imitates).
    /// </summary>
    [Fact]
    public async Task Models_ShowPublishedAccuracy_OnlyForPretrainedWeights()
    {
        static void Write(string directory, string id, WeightsKind weights) =>
            TestModels.SetPublishedAccuracy(TestModels.WriteCamReady(directory, id, 32), weights, 81.072, 95.318);
        using var service = new ConfiguredFactory([], directory =>
        {
            Write(directory, "published", WeightsKind.Pretrained);
            Write(directory, "imitation", WeightsKind.Random);
        });
        var client = await service.ReadyClientAsync();
        var models = (await client.GetFromJsonAsync<ModelDescription[]>("/models", Api.Json))!.ToDictionary(m => m.Id);

        Assert.Equal((81.072, 95.318), (models["published"].AccuracyTop1, models["published"].AccuracyTop5));
        Assert.Equal((null, null), (models["imitation"].AccuracyTop1, models["imitation"].AccuracyTop5));
        Assert.True(models["imitation"].Untrained);
        Assert.Equal((null, null), (models["colour32"].AccuracyTop1, models["colour32"].AccuracyTop5));
    }
}
