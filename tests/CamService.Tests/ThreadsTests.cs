using System.Net.Http.Json;
using CamService.Inference.Runtime;
using CamService.Models;
using CamService.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CamService.Tests;

/// <summary>
/// Each model loads on thread settings at hand — remembered from an earlier measurement on this machine, else a
/// first guess — is measured once the service is ready, switched to what the measurement chooses, and
/// remembered beside the prepared models for the next start; GET /models reports it; configuration overrides it.
/// </summary>
public sealed class ThreadsTests
{
    static readonly Dictionary<string, string?> Measuring = new() { ["Inference:MeasureThreads"] = "true" };

    [Fact]
    public async Task FirstStart_LoadsOnTheFirstGuess_WithoutMeasuring()
    {
        using var factory = new CamServiceFactory();
        var client = await factory.ReadyClientAsync();

        var models = (await client.GetFromJsonAsync<ModelDescription[]>("/models", Api.Json))!.Where(m => m.Status == "ready").ToList();

        Assert.Equal(CamServiceFactory.ReadyModels, models.Select(m => m.Id));
        var cores = Environment.ProcessorCount;
        Assert.All(models, m => Assert.Equal(new ThreadsDescription(cores, false, cores, "guessed", null), m.Threads));
        Assert.False(File.Exists(Path.Combine(factory.ModelsDirectory, ".cache", "colour32.threads.json")));
    }

    [Fact]
    public async Task FirstStart_MeasuresEveryModelOnceReady_AndRemembersTheChoice()
    {
        using var factory = new ConfiguredFactory(Measuring);
        var client = await factory.ReadyClientAsync();
        await factory.Services.GetRequiredService<ThreadRefinement>().Done.WaitAsync(Wait.ForModels);

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
        // The models answer on the settings they were switched to.
        await client.CamAsync(TestImages.RedTopLeftPng(), ("models", "colour32,colour48"));
    }

    [Fact]
    public async Task NextStart_LoadsOnTheRememberedSettings_ThenRefinesThem_KeepingEachSettingsBest()
    {
        using var factory = new ConfiguredFactory(Measuring);
        await factory.ReadyClientAsync();
        await factory.Services.GetRequiredService<ThreadRefinement>().Done.WaitAsync(Wait.ForModels);
        var first = (await factory.CreateClient().GetFromJsonAsync<ModelDescription>("/models/colour48", Api.Json))!;

        using (var remembering = new ConfiguredFactory(new() { ["Models:Directory"] = factory.ModelsDirectory }))
        {
            var remembered = (await (await remembering.ReadyClientAsync()).GetFromJsonAsync<ModelDescription>("/models/colour48", Api.Json))!;
            Assert.Equal(first.Threads! with { Source = "remembered" }, remembered.Threads, ThreadsComparer);
        }

        using var again = new ConfiguredFactory(new(Measuring) { ["Models:Directory"] = factory.ModelsDirectory });
        await again.ReadyClientAsync();
        await again.Services.GetRequiredService<ThreadRefinement>().Done.WaitAsync(Wait.ForModels);
        var second = (await again.CreateClient().GetFromJsonAsync<ModelDescription>("/models/colour48", Api.Json))!;

        Assert.Equal("refined", second.Threads!.Source);
        Assert.Equal(first.Threads!.Trials!.Select(t => t.Choice), second.Threads.Trials!.Select(t => t.Choice));
        // A later pass can only lower a setting's figure: a busy spell never raises it.
        Assert.All(first.Threads.Trials!.Zip(second.Threads.Trials!), pair => Assert.True(pair.Second.MedianMs <= pair.First.MedianMs));
        // The choice follows the refined figures, and they are remembered for the start after.
        var fastest = second.Threads.Trials!.Min(t => t.MedianMs);
        Assert.Contains(second.Threads.Trials!, t => t.Threads == second.Threads.IntraOp && t.Spinning == second.Threads.Spinning && t.MedianMs <= fastest * 1.02);
        // /models rounds to hundredths what the file keeps in full.
        using var file = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(factory.ModelsDirectory, ".cache", "colour48.threads.json")));
        var rememberedMs = file.RootElement.GetProperty("trials").EnumerateArray().Select(t => Math.Round(t.GetProperty("medianMs").GetDouble(), 2));
        Assert.Equal(second.Threads.Trials!.Select(t => t.MedianMs), rememberedMs);
    }

    [Fact]
    public async Task ConfiguredThreads_WinOverMeasuring()
    {
        using var factory = new ConfiguredFactory(new(Measuring) { ["Inference:Threads"] = "1" });
        var client = await factory.ReadyClientAsync();
        await factory.Services.GetRequiredService<ThreadRefinement>().Done.WaitAsync(Wait.ForModels);

        var model = (await client.GetFromJsonAsync<ModelDescription>("/models/colour32", Api.Json))!;

        Assert.Equal(new ThreadsDescription(1, false, 1, "configured", null), model.Threads! with { Trials = null });
        Assert.False(File.Exists(Path.Combine(factory.ModelsDirectory, ".cache", "colour32.threads.json")));
    }

    /// <summary>Two descriptions alike but for the trials' list instances: the same trials in the same order.</summary>
    static readonly IEqualityComparer<ThreadsDescription?> ThreadsComparer = EqualityComparer<ThreadsDescription?>.Create(
        (a, b) => a! with { Trials = null } == b! with { Trials = null } && a.Trials!.SequenceEqual(b.Trials!));
}
