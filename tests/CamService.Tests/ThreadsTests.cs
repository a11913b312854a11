using System.Net.Http.Json;
using CamService.Inference.Runtime;
using CamService.Models;

namespace CamService.Tests;

/// <summary>
/// Each model's thread settings are measured on the machine at its first start, remembered beside the
/// prepared models for the next start, reported in GET /models, and overridden by configuration.
/// </summary>
public sealed class ThreadsTests
{
    [Fact]
    public async Task FirstStart_MeasuresEveryModel_AndReportsTheChoice()
    {
        using var factory = new CamServiceFactory();
        var client = await factory.ReadyClientAsync();

        var models = (await client.GetFromJsonAsync<ModelDescription[]>("/models", Api.Json))!.Where(m => m.Status == "ready").ToList();

        Assert.Equal(CamServiceFactory.ReadyModels, models.Select(m => m.Id));
        foreach (var threads in models.Select(m => m.Threads!))
        {
            Assert.Equal("measured", threads.Source);
            Assert.InRange(threads.IntraOp, 1, Environment.ProcessorCount);
            Assert.InRange(threads.UnderLoad, 1, threads.IntraOp == 1 ? 1 : Environment.ProcessorCount);
            Assert.NotNull(threads.Trials);
            Assert.Equal(ThreadTuner.Candidates(Environment.ProcessorCount), threads.Trials.Select(t => t.Choice));
            // The choice is the fastest trial (or one within 2 % of it with fewer threads).
            var fastest = threads.Trials.Min(t => t.MedianMs);
            Assert.Contains(threads.Trials, t => t.Threads == threads.IntraOp && t.Spinning == threads.Spinning && t.MedianMs <= fastest * 1.02);
            // Under load: the fewest core-milliseconds, never spinning.
            var cheapest = threads.Trials.Where(t => !t.Spinning).Min(t => t.CoreMs);
            Assert.Contains(threads.Trials, t => t.Threads == threads.UnderLoad && !t.Spinning && t.CoreMs == cheapest);
        }
        Assert.True(File.Exists(Path.Combine(factory.ModelsDirectory, ".cache", "colour32.threads.json")));
    }

    [Fact]
    public async Task NextStart_OnTheSameMachine_RefinesTheMeasurement_KeepingEachSettingsBest()
    {
        using var factory = new CamServiceFactory();
        var first = (await (await factory.ReadyClientAsync()).GetFromJsonAsync<ModelDescription>("/models/colour48", Api.Json))!;

        using var again = new ConfiguredFactory(new() { ["Models:Directory"] = factory.ModelsDirectory });
        var second = (await (await again.ReadyClientAsync()).GetFromJsonAsync<ModelDescription>("/models/colour48", Api.Json))!;

        Assert.Equal("refined", second.Threads!.Source);
        Assert.Equal(first.Threads!.Trials!.Select(t => t.Choice), second.Threads.Trials!.Select(t => t.Choice));
        // A later pass can only lower a setting's figure: a busy spell never raises it.
        Assert.All(first.Threads.Trials!.Zip(second.Threads.Trials!), pair => Assert.True(pair.Second.MedianMs <= pair.First.MedianMs));
        // The choice follows the refined figures, and they are remembered for the start after.
        var fastest = second.Threads.Trials!.Min(t => t.MedianMs);
        Assert.Contains(second.Threads.Trials!, t => t.Threads == second.Threads.IntraOp && t.Spinning == second.Threads.Spinning && t.MedianMs <= fastest * 1.02);
        // /models rounds to hundredths what the file keeps in full.
        using var remembered = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(factory.ModelsDirectory, ".cache", "colour48.threads.json")));
        var rememberedMs = remembered.RootElement.GetProperty("trials").EnumerateArray().Select(t => Math.Round(t.GetProperty("medianMs").GetDouble(), 2));
        Assert.Equal(second.Threads.Trials!.Select(t => t.MedianMs), rememberedMs);
    }

    [Fact]
    public async Task ConfiguredThreads_WinOverMeasuring()
    {
        using var factory = new ConfiguredFactory(new() { ["Inference:Threads"] = "1" });
        var client = await factory.ReadyClientAsync();

        var model = (await client.GetFromJsonAsync<ModelDescription>("/models/colour32", Api.Json))!;

        Assert.Equal(new ThreadsDescription(1, false, 1, "configured", null), model.Threads! with { Trials = null });
        Assert.False(File.Exists(Path.Combine(factory.ModelsDirectory, ".cache", "colour32.threads.json")));
    }
}
