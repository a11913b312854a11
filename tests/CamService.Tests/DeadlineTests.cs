using CamService.Models;
using CamService.Testing;
using CamService.Traffic;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;

namespace CamService.Tests;

/// <summary>
/// The service with a model whose run takes seconds ("slow"), spread over many operators,
/// and its log kept: for tests that stop a run in progress.
/// </summary>
public abstract class SlowModelService : IDisposable
{
    /// <summary>
    /// The tests that stop a slow run take turns: each expects its request's run to start as soon as it is
    /// admitted, and the other's seconds-long runs would hold the compute threads meanwhile.
    /// </summary>
    public const string Collection = "Slow model";

    readonly ConfiguredFactory host;

    protected SlowModelService(Dictionary<string, string?> settings)
    {
        // One thread, not measured: measuring threads would run the slow model a dozen times at start-up.
        settings.TryAdd("Inference:Threads", "1");
        host = new ConfiguredFactory(settings, directory => TestModels.WriteSlowCamReady(directory, "slow", 256, 200));
        Service = host.WithWebHostBuilder(builder => builder.ConfigureTestServices(services => services.AddSingleton<ILogEventSink>(Logs)));
    }

    public WebApplicationFactory<Program> Service { get; }

    public CollectingSink Logs { get; } = new();

    public ShutdownGate Gate => Service.Services.GetRequiredService<ShutdownGate>();

    /// <summary>How many runs of the slow model were stopped part-way.</summary>
    public int SlowRunsStopped => Logs.Count("run stopped", "slow");

    /// <summary>A client once every model has loaded, the slow one taking at least <paramref name="minimumMs"/> per run.</summary>
    public async Task<HttpClient> ReadyClientAsync(double minimumMs)
    {
        var client = Service.CreateClient();
        var registry = Service.Services.GetRequiredService<ModelRegistry>();
        await registry.Loaded.WaitAsync(Wait.ForModels);
        var slow = registry.Find("slow")!;
        Assert.True(slow.Status == ModelStatus.Ready, slow.Error);
        Assert.True(slow.LatencyMs > minimumMs, $"The slow model runs in {slow.LatencyMs:F0} ms: too fast to be stopped part-way.");
        // The warm-up runs the slow model too; a request sent meanwhile waits for its core, and is cancelled
        // before its own run starts, with nothing to stop. On a loaded CI machine one slow run took 5 s.
        await Wait.Until(() => Logs.Count("warmed up") + Logs.Count("warm-up skipped") > 0, Wait.ForModels);
        return client;
    }

    public void Dispose()
    {
        Service.Dispose();
        host.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Past its deadline a request's model run is stopped (RunOptions.Terminate), and the client gets a 504 problem.</summary>
[Collection(SlowModelService.Collection)]
public sealed class DeadlineTests(DeadlineTests.Service service) : IClassFixture<DeadlineTests.Service>
{
    // The deadline leaves time to decode and start the run even on a loaded machine, and ends well before the run would.
    public sealed class Service() : SlowModelService(new() { ["Cam:RequestTimeoutSeconds"] = "0.7" });

    [Fact]
    public async Task PastTheDeadline_TheRunIsStopped_And504()
    {
        var client = await service.ReadyClientAsync(minimumMs: 1000);
        var problem = await Api.ProblemAsync(await client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(), fields: ("models", "slow,colour32"))), 504);
        Assert.Equal("Deadline exceeded", problem.GetProperty("title").GetString());
        Assert.Contains("0.7 s (Cam:RequestTimeoutSeconds)", problem.GetProperty("detail").GetString());
        await Wait.Until(() => service.SlowRunsStopped == 1);
        await Wait.Until(() => service.Gate.InFlight == 0);
        // At least one: the hosts of other tests publish on the same meter, and /metrics may count theirs too.
        await client.ScrapeUntilAsync(s => s.Sum("camservice_requests_refused_total", ("reason", "deadline")) >= 1);

        // Requests that fit in the budget are served.
        Assert.Single((await client.CamAsync(TestImages.RedTopLeftPng(), ("models", "colour32"))).Results);
    }
}

/// <summary>A client that goes away stops its request's model run too, with no deadline involved.</summary>
[Collection(SlowModelService.Collection)]
public sealed class DisconnectTests(DisconnectTests.Service service) : IClassFixture<DisconnectTests.Service>
{
    public sealed class Service() : SlowModelService([]);

    [Fact]
    public async Task ClientDisconnect_StopsTheRun()
    {
        var client = await service.ReadyClientAsync(minimumMs: 1000);
        using var cancel = new CancellationTokenSource();
        var request = client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(), fields: ("models", "slow")), cancel.Token);
        await Wait.Until(() => service.Gate.InFlight == 1);
        await Task.Delay(100);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);

        await Wait.Until(() => service.SlowRunsStopped == 1);
        await Wait.Until(() => service.Gate.InFlight == 0);
    }
}
