using CamService.Inference.Explanations;
using CamService.Inference.Methods;
using CamService.Inference.Runtime;
using CamService.Testing;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace CamService.Tests;

/// <summary>
/// What POST /cam hands the engine and what it does with the engine's failures, seen through test methods
/// registered beside the real ones: one that draws its options into its map, one a model cannot serve, and
/// one that runs until it is stopped.
/// </summary>
public sealed class MethodRequestTests(MethodRequestTests.Service service) : IClassFixture<MethodRequestTests.Service>
{
    /// <summary>The service with the probes, Cam:MaxMapsPerRequest 4 and Cam:DefaultScoreCamChannels 7.</summary>
    public sealed class Service() : ProbeService(new() { ["Cam:MaxMapsPerRequest"] = "4", ["Cam:DefaultScoreCamChannels"] = "7" });

    [Fact]
    public async Task ScoreCamChannels_ReachesTheMethods_DefaultFromConfiguration()
    {
        var client = await service.ReadyClientAsync();
        var configured = await client.CamAsync(TestImages.RedTopLeftPng(), ("models", "colour32"), ("method", OptionsProbe.Id), ("outputs", "cam"));
        var asked = await client.CamAsync(TestImages.RedTopLeftPng(), ("models", "colour32"), ("method", OptionsProbe.Id), ("outputs", "cam"), ("scoreCamChannels", "3"));
        var all = await client.CamAsync(TestImages.RedTopLeftPng(), ("models", "colour32"), ("method", OptionsProbe.Id), ("outputs", "cam"), ("scoreCamChannels", "0"));

        Assert.All(configured.Results[0].Cam!.Data, value => Assert.Equal(7, value));
        Assert.All(asked.Results[0].Cam!.Data, value => Assert.Equal(3, value));
        Assert.All(all.Results[0].Cam!.Data, value => Assert.Equal(0, value));
    }

    [Fact]
    public async Task MoreMapsThanTheLimit_Is400_NamingTheLists()
    {
        var client = await service.ReadyClientAsync();
        // 2 models × 1 method × 3 targets = 6 > 4.
        var problem = await Api.ProblemAsync(await client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(),
            fields: [("models", "colour32,colour48"), ("target", "0,1,2")])), 400);

        Assert.Contains("= 6 maps", problem.GetProperty("detail").GetString());
        Assert.Contains("Cam:MaxMapsPerRequest", problem.GetProperty("detail").GetString());
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("models", out _));
        Assert.True(errors.TryGetProperty("target", out _));
        Assert.False(errors.TryGetProperty("method", out _));

        // At the limit, it is served.
        Assert.Equal(4, (await client.CamAsync(TestImages.RedTopLeftPng(), ("models", "colour32,colour48"), ("target", "0,1"), ("outputs", "cam"))).Results.Count);
    }

    [Fact]
    public async Task MethodTheModelCannotServe_Is422_NamingTheModel()
    {
        var client = await service.ReadyClientAsync();
        var problem = await Api.ProblemAsync(await client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(),
            fields: [("models", "colour32"), ("method", $"gradcam,{UnavailableProbe.Id}")])), 422);

        Assert.Equal("colour32", problem.GetProperty("model").GetString());
        Assert.Contains(UnavailableProbe.Reason, problem.GetProperty("detail").GetString());
        // The service goes on serving.
        Assert.Single((await client.CamAsync(TestImages.RedTopLeftPng(), ("models", "colour32"), ("outputs", "cam"))).Results);
    }

    [Fact]
    public async Task InvalidMapLimit_StopsTheStart()
    {
        using var host = new ConfiguredFactory(new() { ["Cam:MaxMapsPerRequest"] = "0" });
        var error = Record.Exception(() => host.CreateClient());
        Assert.NotNull(error);
        Assert.Contains("MaxMapsPerRequest", error.ToString());
    }
}

/// <summary>A method that runs until its request is stopped holds its cores all along, and the deadline stops it.</summary>
public sealed class LongMethodTests(LongMethodTests.Service service) : IClassFixture<LongMethodTests.Service>
{
    /// <summary>
    /// A deadline the probe outlasts, and long enough for the request to reach the probe first on a loaded machine (at 1 s,
    /// a CI run with other tests beside it decoded and ran the forward pass past it, and the probe never started).
    /// </summary>
    public sealed class Service() : ProbeService(new() { ["Cam:RequestTimeoutSeconds"] = "10" });

    [Fact]
    public async Task LongMethod_HoldsItsCores_UntilTheDeadlineStopsIt()
    {
        var client = await service.ReadyClientAsync();
        var cores = service.Host.Services.GetRequiredService<CoreScheduler>();
        var stall = service.Stall;

        var request = client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(), fields: [("models", "colour32"), ("method", StallProbe.Id)]));
        if (await Task.WhenAny(stall.Started.Task, request).WaitAsync(TimeSpan.FromMinutes(1)) == request)
        {
            Assert.Fail($"The request ended ({(await request).StatusCode}) before the method started.");
        }
        // The method runs inside the model's lease: its core is not handed to anyone else meanwhile.
        Assert.True(cores.Free < cores.Cores, $"{cores.Free} of {cores.Cores} cores free while the method runs");

        await Api.ProblemAsync(await request, 504);
        Assert.True(stall.Stopped, "The method saw its cancellation.");
        await Wait.Until(() => cores.Free == cores.Cores);
    }
}

/// <summary>The service over the colour models with the probe methods registered beside <see cref="CamMethods.Default"/>.</summary>
public abstract class ProbeService : IDisposable
{
    readonly ConfiguredFactory factory;

    protected ProbeService(Dictionary<string, string?> settings)
    {
        // One thread, not measured: these tests are about requests, not speed.
        settings.TryAdd("Inference:Threads", "1");
        factory = new ConfiguredFactory(settings);
        var methods = new CamMethods([.. CamMethods.Default.All, new OptionsProbe(), new UnavailableProbe(), Stall]);
        Host = factory.WithWebHostBuilder(builder => builder.ConfigureTestServices(services => services.AddSingleton(methods)));
    }

    public WebApplicationFactory<Program> Host { get; }

    public StallProbe Stall { get; } = new();

    public async Task<HttpClient> ReadyClientAsync()
    {
        var client = Host.CreateClient();
        await Host.Services.GetRequiredService<Models.ModelRegistry>().Loaded.WaitAsync(Wait.ForModels);
        return client;
    }

    public void Dispose()
    {
        Host.Dispose();
        factory.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Draws Score-CAM's channel setting into every cell of its map.</summary>
public sealed class OptionsProbe : CamMethod
{
    public const string Id = "probe-options";

    public override string Name => Id;

    public override string Description => "Test method: its map is the scoreCamChannels it was given.";

    public override void Compute(in CamContext context, Span<float> map) => map.Fill(context.Options.ScoreCamChannels);
}

/// <summary>Fails as a model without what the method needs fails (no head session).</summary>
public sealed class UnavailableProbe : CamMethod
{
    public const string Id = "probe-unavailable";

    public override string Name => Id;

    public const string Reason = "This model has no head session.";

    public override string Description => "Test method: no model can serve it.";

    public override CostClass Cost => CostClass.HeadOnly;

    public override void Compute(in CamContext context, Span<float> map) => throw new MethodUnavailableException(Id, "colour32", Reason);
}

/// <summary>Runs until its request is stopped, as a many-forwards method on a large model runs for seconds.</summary>
public sealed class StallProbe : CamMethod
{
    public const string Id = "probe-stall";

    public override string Name => Id;

    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool Stopped { get; private set; }

    public override string Description => "Test method: runs until cancelled.";

    public override CostClass Cost => CostClass.ManyForwards;

    public override void Compute(in CamContext context, Span<float> map)
    {
        Started.TrySetResult();
        Stopped = context.CancellationToken.WaitHandle.WaitOne(TimeSpan.FromMinutes(1));
        context.CancellationToken.ThrowIfCancellationRequested();
    }
}
