using CamService.Cam;
using CamService.Health;
using CamService.Inference.Runtime;
using CamService.Models;
using CamService.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CamService.Tests;

/// <summary>
/// A new instance is ready only once its explanation pipeline is warm, and the thread settings it loaded on are
/// replaced by measured ones without failing a request: same sessions where the choice stands, new ones where it moves.
/// </summary>
public sealed class ColdStartTests
{
    [Fact]
    public async Task Readiness_WaitsForTheWarmUp()
    {
        using var factory = new CamServiceFactory();
        await factory.ReadyClientAsync();
        var services = factory.Services;
        // A warm-up that has not run yet, beside the service's own.
        var warmUp = ActivatorUtilities.CreateInstance<CamWarmUp>(services);
        var check = ActivatorUtilities.CreateInstance<ModelsReadyCheck>(services, warmUp);

        var before = await check.CheckHealthAsync(new HealthCheckContext());
        await warmUp.StartAsync(CancellationToken.None);
        await warmUp.Done.WaitAsync(Wait.ForModels);
        var after = await check.CheckHealthAsync(new HealthCheckContext());
        await warmUp.StopAsync(CancellationToken.None);

        Assert.Equal(HealthStatus.Unhealthy, before.Status);
        Assert.Equal("Warming up (3 of 4 models ready)", before.Description);
        Assert.Equal(HealthStatus.Healthy, after.Status);
        Assert.Equal("3 of 4 models ready", after.Description);
    }

    [Fact]
    public async Task AMeasurementThatChoosesOtherSettings_SwapsInNewSessions_WhileTheEarlierModelStillRuns()
    {
        using var factory = new CamServiceFactory();
        var client = await factory.ReadyClientAsync();
        var services = factory.Services;
        var entry = services.GetRequiredService<ModelRegistry>().Find("colour32")!;
        // What a request in flight holds: the model it started on, leased.
        var held = entry.Lease()!;
        var before = held.Model;
        Assert.Equal(ServingThreads.Guessed(Environment.ProcessorCount), before.Threads);
        var other = before.Threads.Fastest.Threads == 1 ? 2 : 1;
        var measured = ServingThreads.From(new ThreadTuning([new ThreadTrial(other, false, 1.0)]), "measured");
        using var prepared = services.GetRequiredService<ModelPreparer>().Open(entry.Path);
        var proto = prepared.Proto;

        services.GetRequiredService<ThreadRefinement>().Apply(entry, measured,
            () => CamReadyModel.Create(proto, services.GetRequiredService<ExecutionSettings>(), measured));

        Assert.NotSame(before, entry.Model);
        Assert.Same(measured, entry.Model!.Threads);
        // A request that took the earlier model before the swap finishes on it: it is not disposed under the request,
        // and it is once the request lets go.
        using (before.Run(new float[before.ImageLength], 1, new long[] { -1 }, 1))
        {
        }
        Assert.False(held.Served.Disposed);
        held.Dispose();
        Assert.True(held.Served.Disposed);
        var answer = await client.CamAsync(TestImages.RedTopLeftPng(), ("models", "colour32"));
        Assert.Equal("colour32", answer.Results.Single().Model);
    }

    [Fact]
    public async Task ARememberedUnderLoadSetting_LoadsAsOneSession_AndOpensAfterReadiness()
    {
        using var factory = new CamServiceFactory();
        var client = await factory.ReadyClientAsync();
        var services = factory.Services;
        var entry = services.GetRequiredService<ModelRegistry>().Find("colour32")!;
        // Fastest: 2 threads, spinning; under load: 1 thread, the fewest core-milliseconds.
        var remembered = ServingThreads.From(new ThreadTuning([new ThreadTrial(2, true, 1.0), new ThreadTrial(1, false, 1.5)]), "remembered");
        var loaded = remembered.OneSession();
        Assert.Equal(loaded.Fastest, loaded.UnderLoad);
        Assert.Equal(remembered.UnderLoad, loaded.Deferred);
        Assert.Same(loaded, loaded.OneSession());
        using (var prepared = services.GetRequiredService<ModelPreparer>().Open(entry.Path))
        {
            entry.MarkReady(CamReadyModel.Create(prepared.Proto, services.GetRequiredService<ExecutionSettings>(), loaded, serialized: prepared.Bytes), 1);
        }
        var before = entry.Model!;

        await services.GetRequiredService<ThreadRefinement>().OpenDeferredAsync(CancellationToken.None);

        Assert.NotSame(before, entry.Model);
        Assert.Equal(remembered, entry.Model!.Threads);
        Assert.Null(entry.Model.Threads.Deferred);
        var answer = await client.CamAsync(TestImages.RedTopLeftPng(), ("models", "colour32"));
        Assert.Equal("colour32", answer.Results.Single().Model);
        // Opened once: a later pass has nothing left to open.
        var after = entry.Model;
        await services.GetRequiredService<ThreadRefinement>().OpenDeferredAsync(CancellationToken.None);
        Assert.Same(after, entry.Model);
    }

    [Fact]
    public async Task AMeasurementThatChoosesTheSameSettings_KeepsTheSessions_AndReportsIt()
    {
        using var factory = new CamServiceFactory();
        await factory.ReadyClientAsync();
        var services = factory.Services;
        var entry = services.GetRequiredService<ModelRegistry>().Find("colour48")!;
        var before = entry.Model!;
        var guess = before.Threads.Fastest;
        var measured = ServingThreads.From(new ThreadTuning([new ThreadTrial(guess.Threads, guess.Spinning, 1.0)]), "measured");

        services.GetRequiredService<ThreadRefinement>().Apply(entry, measured, () => throw new InvalidOperationException("No new sessions are needed."));

        Assert.Same(before, entry.Model);
        Assert.Same(measured, before.Threads);
    }
}
