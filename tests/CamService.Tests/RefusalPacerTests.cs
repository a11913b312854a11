using System.Diagnostics.Metrics;
using CamService.Cam;
using CamService.Testing;
using CamService.Traffic;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CamService.Tests;

/// <summary>
/// <see cref="RefusalPacer"/>: a second's worth of refusals at once, then one every 1/rate seconds, each held at most
/// Cam:MaxRefusalHoldSeconds; the clock is moved by hand, so every turn below is exact.
/// </summary>
public sealed class RefusalPacerTests
{
    [Fact]
    public void ASecondsWorthIsAnsweredAtOnce_ThenEachWaitsItsTurn_AtMostTheLongestHold()
    {
        using var t = new Harness(perSecond: 10, maxHoldSeconds: 0.35);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(TimeSpan.Zero, t.Pacer.Turn());
        }
        // Beyond the rate: turns 0.1, 0.2, 0.3 s away, then the longest hold, however many more come.
        Assert.Equal(0.1, t.Pacer.Turn().TotalSeconds, 9);
        Assert.Equal(0.2, t.Pacer.Turn().TotalSeconds, 9);
        Assert.Equal(0.3, t.Pacer.Turn().TotalSeconds, 9);
        Assert.Equal(0.35, t.Pacer.Turn().TotalSeconds, 9);
        Assert.Equal(0.35, t.Pacer.Turn().TotalSeconds, 9);

        // The credit never runs past the longest hold: 0.35 s later the bucket is even, and the next waits one turn.
        t.Clock.Advance(TimeSpan.FromSeconds(0.35));
        Assert.Equal(0.1, t.Pacer.Turn().TotalSeconds, 9);
        // A quiet second refills it: a second's worth at once again.
        t.Clock.Advance(TimeSpan.FromSeconds(2));
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(TimeSpan.Zero, t.Pacer.Turn());
        }
        Assert.True(t.Pacer.Turn() > TimeSpan.Zero);
    }

    [Fact]
    public void ASlowRate_StillAnswersOneAtOnce()
    {
        using var t = new Harness(perSecond: 0.5, maxHoldSeconds: 1);
        Assert.Equal(TimeSpan.Zero, t.Pacer.Turn());
        Assert.Equal(1, t.Pacer.Turn().TotalSeconds, 9);
        t.Clock.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(TimeSpan.Zero, t.Pacer.Turn());
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(10, 0)]
    public void ZeroRateOrHold_AnswersEveryRefusalAtOnce(double perSecond, double maxHoldSeconds)
    {
        using var t = new Harness(perSecond, maxHoldSeconds);
        Assert.All(Enumerable.Range(0, 1000), _ => Assert.Equal(TimeSpan.Zero, t.Pacer.Turn()));
    }

    [Fact]
    public async Task AHeldRefusal_WaitsForItsTurn_AndEndsWhenItsClientLeaves()
    {
        using var t = new Harness(perSecond: 1, maxHoldSeconds: 5);
        Assert.False(await t.Pacer.AwaitTurnAsync(CancellationToken.None));

        var held = t.Pacer.AwaitTurnAsync(CancellationToken.None);
        Assert.False(held.IsCompleted);
        Assert.Equal(1, t.Pacer.Held);
        t.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await held);
        Assert.Equal(0, t.Pacer.Held);

        using var leaving = new CancellationTokenSource();
        var gone = t.Pacer.AwaitTurnAsync(leaving.Token);
        Assert.Equal(1, t.Pacer.Held);
        await leaving.CancelAsync();
        Assert.True(await gone);
        Assert.Equal(0, t.Pacer.Held);
    }

    [Fact]
    public async Task OnPOSTcam_AHeldRefusalIsDecidedAgainAtItsTurn_AndServedIfASlotOpenedMeanwhile()
    {
        var clock = new FakeTimeProvider();
        using var factory = new ConfiguredFactory(new()
            {
                ["Cam:MaxConcurrentRequests"] = "1", ["Cam:QueueLimit"] = "0", ["Cam:PacedRefusalsPerSecond"] = "1", ["Cam:MaxRefusalHoldSeconds"] = "1",
                // Only the pacer's clock decides here: a machine busy with other work must not turn an answer into a 504.
                ["Cam:RequestTimeoutSeconds"] = "600", ["Cam:Upload:TimeoutSeconds"] = "600",
            })
            .WithWebHostBuilder(builder => builder.ConfigureTestServices(services => services.AddSingleton(provider =>
                new RefusalPacer(provider.GetRequiredService<IOptions<CamOptions>>(), clock, provider.GetRequiredService<IMeterFactory>()))));
        await factory.Services.GetRequiredService<CamWarmUp>().Done.WaitAsync(Wait.ForModels);
        var client = factory.Server.CreateClient();
        var admission = factory.Services.GetRequiredService<ExplainAdmission>();
        var pacer = factory.Services.GetRequiredService<RefusalPacer>();
        HttpContent Request() => Api.Form(TestImages.RedTopLeftPng(), fields: ("models", "colour32"));

        var slot = await admission.EnterAsync(CancellationToken.None);
        // The bucket's one token: refused at once.
        await Api.ProblemAsync(await client.PostAsync("/cam", Request()), 503);
        // The next is held for its turn, a second away; the slot frees meanwhile, so at its turn it is served.
        var held = client.PostAsync("/cam", Request());
        await Wait.Until(() => pacer.Held == 1, Wait.ForModels);
        Assert.False(held.IsCompleted);
        slot.Dispose();
        clock.Advance(TimeSpan.FromSeconds(1));
        using var served = await held;
        Assert.Equal(System.Net.HttpStatusCode.OK, served.StatusCode);

        // Held again with the slot still taken: refused at its turn, with a Retry-After.
        await Wait.Until(() => admission.Running == 0, Wait.ForModels);
        slot = await admission.EnterAsync(CancellationToken.None);
        var refused = client.PostAsync("/cam", Request());
        await Wait.Until(() => pacer.Held == 1, Wait.ForModels);
        clock.Advance(TimeSpan.FromSeconds(1));
        using var answer = await refused;
        await Api.ProblemAsync(answer, 503);
        Assert.NotNull(answer.Headers.RetryAfter);
        slot.Dispose();
    }

    sealed class Harness : IDisposable
    {
        readonly PrivateMeters meters = new();

        public Harness(double perSecond, double maxHoldSeconds) =>
            Pacer = new RefusalPacer(Options.Create(new CamOptions { PacedRefusalsPerSecond = perSecond, MaxRefusalHoldSeconds = maxHoldSeconds }), Clock, meters);

        public FakeTimeProvider Clock { get; } = new();
        public RefusalPacer Pacer { get; }

        public void Dispose() => meters.Dispose();
    }
}
