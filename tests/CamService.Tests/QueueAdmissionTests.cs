using System.Diagnostics.Metrics;
using CamService.Cam;
using CamService.Traffic;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CamService.Tests;

/// <summary>
/// The queue of <see cref="ExplainAdmission"/>: a request waits while its predicted wait ((ahead + 1 − free) ×
/// service time ÷ slots) fits Cam:MaxQueueWaitSeconds and the queue is under Cam:QueueLimit, and is refused at
/// once with a Retry-After of that prediction otherwise. The service time is fixed and the clock is moved by
/// hand, so every prediction and every measured wait below is exact.
/// </summary>
public sealed class QueueAdmissionTests
{
    [Fact]
    public async Task Queues_WhilePredictedWaitFits_ThenRefusesWithThePredictionAsRetryAfter()
    {
        using var t = new Harness(slots: 2, queueLimit: 100, budgetSeconds: 2, serviceSeconds: 1);
        var held = new[] { await t.Admission.EnterAsync(CancellationToken.None), await t.Admission.EnterAsync(CancellationToken.None) };
        Assert.Equal(TimeSpan.Zero, held[0].PredictedWait);
        Assert.Equal(0.5, t.Admission.PredictedWaitSeconds);

        // Predicted 0.5, 1, 1.5 and 2 s: all within the 2 s budget, so they wait, oldest first.
        var queued = Enumerable.Range(0, 4).Select(_ => t.Admission.EnterAsync(CancellationToken.None)).ToList();
        Assert.Equal(4, t.Admission.Queued);
        Assert.All(queued, q => Assert.False(q.IsCompleted));
        Assert.Equal(2.5, t.Admission.PredictedWaitSeconds);

        // The next would wait 2.5 s: refused at once, asked to come back in 3.
        var refusal = await Assert.ThrowsAsync<RefusedException>(() => t.Admission.EnterAsync(CancellationToken.None));
        Assert.Equal(Refusal.Busy, refusal.Reason);
        Assert.Equal(3, refusal.RetryAfterSeconds);
        Assert.Equal("All 2 explanation slots are taken and the wait is predicted at 2.5 s, beyond Cam:MaxQueueWaitSeconds (2 s). Retry after 3 s.", refusal.Message);
        Assert.Equal(6, t.Gate.InFlight);

        // A slot freed 0.7 s later goes to the oldest, which says what it was predicted and what it waited.
        t.Clock.Advance(TimeSpan.FromSeconds(0.7));
        held[0].Dispose();
        var first = await queued[0];
        Assert.Equal(TimeSpan.FromSeconds(0.5), first.PredictedWait);
        Assert.Equal(TimeSpan.FromSeconds(0.7), first.Waited);
        // Both slots are held again: the rest still wait.
        Assert.False(queued[1].IsCompleted);
        Assert.Equal(3, t.Admission.Queued);

        first.Dispose();
        using (var second = await queued[1])
        {
            Assert.Equal(TimeSpan.FromSeconds(1), second.PredictedWait);
            Assert.Equal(TimeSpan.FromSeconds(0.7), second.Waited);
        }
        Assert.Equal(1, t.Admission.Queued);
        Assert.Equal([TimeSpan.FromSeconds(0.7), TimeSpan.Zero, TimeSpan.Zero], t.ServiceTime.Held);
    }

    [Fact]
    public async Task QueueLimit_CapsTheQueue_WhateverTheBudget()
    {
        using var t = new Harness(slots: 1, queueLimit: 1, budgetSeconds: 100, serviceSeconds: 1);
        using var slot = await t.Admission.EnterAsync(CancellationToken.None);
        var queued = t.Admission.EnterAsync(CancellationToken.None);

        var refusal = await Assert.ThrowsAsync<RefusedException>(() => t.Admission.EnterAsync(CancellationToken.None));
        Assert.Equal(2, refusal.RetryAfterSeconds);
        Assert.Equal("All 1 explanation slots and all 1 places in the queue are taken (Cam:MaxConcurrentRequests, Cam:QueueLimit). Retry after 2 s.", refusal.Message);
        Assert.False(queued.IsCompleted);
    }

    [Fact]
    public async Task NoBudget_QueuesNothing()
    {
        using var t = new Harness(slots: 1, queueLimit: 64, budgetSeconds: 0, serviceSeconds: 0.3);
        using var slot = await t.Admission.EnterAsync(CancellationToken.None);
        var refusal = await Assert.ThrowsAsync<RefusedException>(() => t.Admission.EnterAsync(CancellationToken.None));
        Assert.Equal(1, refusal.RetryAfterSeconds);
        Assert.Equal(0, t.Admission.Queued);
    }

    [Fact]
    public async Task ARequestCancelledWhileQueued_LeavesTheQueue_AndCountsNoMore()
    {
        using var t = new Harness(slots: 1, queueLimit: 100, budgetSeconds: 2, serviceSeconds: 1);
        var slot = await t.Admission.EnterAsync(CancellationToken.None);
        using var leaving = new CancellationTokenSource();
        var gone = t.Admission.EnterAsync(leaving.Token);
        var staying = t.Admission.EnterAsync(CancellationToken.None);
        Assert.Equal(3, t.Admission.PredictedWaitSeconds);
        Assert.Equal(3, t.Gate.InFlight);

        // Its client leaves (or its deadline passes): it is out of the queue at once, and the prediction shortens.
        await leaving.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gone);
        Assert.Equal(1, t.Admission.Queued);
        Assert.Equal(2, t.Admission.PredictedWaitSeconds);
        Assert.Equal(2, t.Gate.InFlight);

        // The freed slot goes to the one still waiting.
        slot.Dispose();
        using (await staying)
        {
            Assert.Equal(0, t.Admission.Queued);
            Assert.Equal(1, t.Admission.Running);
        }
        Assert.Equal(0, t.Gate.InFlight);
        Assert.Equal(0, t.Admission.PredictedWaitSeconds);
    }

    [Fact]
    public async Task ARequestCancelledBeforeItAsks_NeverQueues()
    {
        using var t = new Harness(slots: 1, queueLimit: 100, budgetSeconds: 2, serviceSeconds: 1);
        using var slot = await t.Admission.EnterAsync(CancellationToken.None);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => t.Admission.EnterAsync(new CancellationToken(canceled: true)));
        Assert.Equal(0, t.Admission.Queued);
        Assert.Equal(1, t.Gate.InFlight);
    }

    [Fact]
    public async Task WhileShuttingDown_EveryRequestIsRefused_AndTheQueuedAreStillServed()
    {
        using var t = new Harness(slots: 1, queueLimit: 100, budgetSeconds: 2, serviceSeconds: 1);
        var slot = await t.Admission.EnterAsync(CancellationToken.None);
        var queued = t.Admission.EnterAsync(CancellationToken.None);

        await t.Gate.StoppingAsync(CancellationToken.None);
        var refusal = await Assert.ThrowsAsync<RefusedException>(() => t.Admission.EnterAsync(CancellationToken.None));
        Assert.Equal(Refusal.ShuttingDown, refusal.Reason);

        slot.Dispose();
        (await queued).Dispose();
        Assert.Equal(0, t.Gate.InFlight);
        // A free slot is no reason to let a request in once the gate is closed.
        await Assert.ThrowsAsync<RefusedException>(() => t.Admission.EnterAsync(CancellationToken.None));
    }

    [Fact]
    public async Task TheServiceTime_IsMeasuredFromTheSlotsHeld()
    {
        var moving = new MovingServiceTime();
        using var t = new Harness(slots: 1, queueLimit: 100, budgetSeconds: 2, serviceTime: moving);
        Assert.Equal(MovingServiceTime.SeedSeconds, t.Admission.ServiceTimeSeconds);

        using (await t.Admission.EnterAsync(CancellationToken.None))
        {
            t.Clock.Advance(TimeSpan.FromSeconds(1.2));
        }
        // One fifth of the way from the seed to the 1.2 s measured.
        Assert.Equal(MovingServiceTime.SeedSeconds + MovingServiceTime.Weight * (1.2 - MovingServiceTime.SeedSeconds), t.Admission.ServiceTimeSeconds, 12);
        for (var i = 0; i < 60; i++)
        {
            moving.Record(TimeSpan.FromSeconds(0.5));
        }
        Assert.Equal(0.5, moving.Seconds, 4);
        // A request that ends at once does not make every later wait predicted as nothing.
        for (var i = 0; i < 200; i++)
        {
            moving.Record(TimeSpan.Zero);
        }
        Assert.True(moving.Seconds > 0);
    }

    /// <summary>An admission of its own, with a clock moved by hand and a fixed (or given) service time.</summary>
    sealed class Harness : IDisposable
    {
        readonly PrivateMeters meters = new();

        public Harness(int slots, int queueLimit, double budgetSeconds, double serviceSeconds = 1, IServiceTime? serviceTime = null)
        {
            var cam = Options.Create(new CamOptions
            {
                MaxConcurrentRequests = slots, QueueLimit = queueLimit, MaxQueueWaitSeconds = budgetSeconds, RequestTimeoutSeconds = 600,
            });
            Gate = new ShutdownGate(Options.Create(new ShutdownOptions { DelaySeconds = 0 }), cam, NullLogger<ShutdownGate>.Instance);
            ServiceTime = new FixedServiceTime(serviceSeconds);
            Admission = new ExplainAdmission(cam, Gate, serviceTime ?? ServiceTime, Clock, meters);
        }

        public ManualClock Clock { get; } = new();
        public ShutdownGate Gate { get; }
        public FixedServiceTime ServiceTime { get; }
        public ExplainAdmission Admission { get; }

        public void Dispose() => meters.Dispose();
    }
}

/// <summary>Meters of a name no host's metrics listen to, so a test's measurements stay out of every /metrics.</summary>
internal sealed class PrivateMeters : IMeterFactory
{
    readonly List<Meter> meters = [];

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter($"{nameof(PrivateMeters)}.{options.Name}");
        meters.Add(meter);
        return meter;
    }

    public void Dispose() => meters.ForEach(meter => meter.Dispose());
}

/// <summary>A service time that stays put, and remembers the holding times it was given.</summary>
public sealed class FixedServiceTime(double seconds) : IServiceTime
{
    public List<TimeSpan> Held { get; } = [];

    public double Seconds => seconds;

    public void Record(TimeSpan held) => Held.Add(held);
}

/// <summary>A clock that moves only when told to.</summary>
public sealed class ManualClock : TimeProvider
{
    long ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => ticks;

    public void Advance(TimeSpan by) => ticks += by.Ticks;
}
