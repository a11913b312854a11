using System.Diagnostics.Metrics;
using System.Globalization;
using CamService.Cam;
using CamService.Metrics;
using Microsoft.Extensions.Options;

namespace CamService.Traffic;

/// <summary>
/// The explanation slots: at most Cam:MaxConcurrentRequests explanations at once; a request that finds them taken
/// waits its turn (oldest first) while its predicted wait fits Cam:MaxQueueWaitSeconds and the queue has fewer
/// than Cam:QueueLimit, and is refused at once otherwise, with 503 and a Retry-After of that prediction. While
/// the shutdown gate is closed every request is refused.
/// </summary>
/// <remarks>
/// The prediction: (requests ahead + 1 − free slots, at least 0) × the service time ÷ the slots, where the
/// service time is a moving estimate of how long a slot is held (<see cref="IServiceTime"/>). A queue whose
/// length alone is capped either refuses what it could serve soon or keeps requests waiting past any use;
/// time is what a client waits for. A request asks for its slot from its handler, once its body is read and
/// checked (size, type, fields, models), with <see cref="EnterAsync"/>: before that it costs memory, within
/// Cam:Upload:MaxBytesInFlight (see <see cref="UploadBudget"/>), never compute. Neither ASP.NET Core's
/// rate-limiting middleware nor an endpoint filter can wait that long: both run before the handler, which is
/// where the body is read — so 16 clients uploading at 300 bytes/s once held every slot, and the normal clients
/// got nothing. The queue waits within the request's deadline, which began when the request arrived, upload
/// included; a request whose client leaves or whose deadline passes leaves the queue.
/// </remarks>
public sealed class ExplainAdmission
{
    readonly Lock sync = new();
    readonly LinkedList<TaskCompletionSource> queue = new();
    readonly ShutdownGate gate;
    readonly IServiceTime serviceTime;
    readonly TimeProvider clock;
    readonly Histogram<double> waits;
    readonly Histogram<double> predictedWaits;
    readonly Histogram<double> holds;
    readonly int slots;
    readonly int queueLimit;
    readonly double budgetSeconds;
    int free;
    int running;

    public ExplainAdmission(IOptions<CamOptions> cam, ShutdownGate gate, IServiceTime serviceTime, TimeProvider clock, IMeterFactory meters)
    {
        slots = free = cam.Value.ResolvedMaxConcurrentRequests;
        queueLimit = cam.Value.QueueLimit;
        budgetSeconds = cam.Value.ResolvedMaxQueueWaitSeconds;
        this.gate = gate;
        this.serviceTime = serviceTime;
        this.clock = clock;
        // On the service's meter, beside CamMetrics' gauges of the queue: the times are measured here.
        var meter = meters.Create(CamMetrics.MeterName);
        var buckets = new InstrumentAdvice<double> { HistogramBucketBoundaries = CamMetrics.LatencyBuckets };
        waits = meter.CreateHistogram("camservice.explanations.queue.wait", "s",
            "How long each admitted explanation waited for its slot, as measured.", advice: buckets);
        predictedWaits = meter.CreateHistogram("camservice.explanations.queue.predicted_wait", "s",
            "How long each admitted explanation was predicted to wait for its slot when it asked (compare with camservice.explanations.queue.wait).", advice: buckets);
        holds = meter.CreateHistogram("camservice.explanations.slot.duration", "s",
            "How long each explanation held its slot: the service time that predictions are made from.", advice: buckets);
    }

    /// <summary>Explanations holding a slot.</summary>
    public int Running => Volatile.Read(ref running);

    /// <summary>Explanations waiting for a slot.</summary>
    public int Queued
    {
        get
        {
            lock (sync)
            {
                return queue.Count;
            }
        }
    }

    /// <summary>The wait a request asking now would be predicted, in seconds.</summary>
    public double PredictedWaitSeconds
    {
        get
        {
            lock (sync)
            {
                return Predict();
            }
        }
    }

    /// <summary>The estimate of how long an explanation holds its slot, in seconds.</summary>
    public double ServiceTimeSeconds => serviceTime.Seconds;

    /// <summary>
    /// The refusal a request arriving now would get from <see cref="EnterAsync"/>, or null when a slot is free or the
    /// queue would take it. Asked before the body is read (<see cref="UploadGuard"/>), so that a storm of clients that
    /// ignore Retry-After costs a refusal each, not a body read and checked; a request it lets through is read, checked
    /// and asks for its slot as before. An upload refused here is not sent at all, rather than sent and then refused.
    /// </summary>
    public RefusedException? RefusalOnArrival()
    {
        double predicted;
        bool queueFull;
        lock (sync)
        {
            if (free > 0 && queue.Count == 0)
            {
                return null;
            }
            predicted = Predict();
            queueFull = queue.Count >= queueLimit;
            if (!queueFull && predicted <= budgetSeconds)
            {
                return null;
            }
        }
        return Busy(predicted, queueFull);
    }

    /// <summary>
    /// Waits for a slot (in the queue, if its predicted wait fits) and holds it until the returned slot is disposed.
    /// Throws a <see cref="RefusedException"/> when the service is full or shutting down, and an
    /// <see cref="OperationCanceledException"/> when the request's deadline passes or its client leaves while it waits.
    /// </summary>
    public async Task<AdmissionSlot> EnterAsync(CancellationToken cancellationToken)
    {
        if (!gate.TryEnter())
        {
            throw gate.Refusal();
        }
        var asked = clock.GetTimestamp();
        LinkedListNode<TaskCompletionSource>? place = null;
        double predicted;
        bool queueFull = false, refused = false;
        lock (sync)
        {
            predicted = Predict();
            if (free > 0 && queue.Count == 0)
            {
                free--;
            }
            else if ((queueFull = queue.Count >= queueLimit) || predicted > budgetSeconds)
            {
                refused = true;
            }
            else
            {
                place = queue.AddLast(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            }
        }
        if (refused)
        {
            // Written outside the lock, so that a storm of refusals does not hold up the releases.
            gate.Leave();
            throw Busy(predicted, queueFull);
        }
        if (place is not null)
        {
            await WaitAsync(place, cancellationToken);
        }
        Interlocked.Increment(ref running);
        var waited = clock.GetElapsedTime(asked);
        waits.Record(waited.TotalSeconds);
        predictedWaits.Record(predicted);
        return new AdmissionSlot(this, TimeSpan.FromSeconds(predicted), waited, clock.GetTimestamp());
    }

    /// <summary>Waits for the slot a release hands to <paramref name="place"/>; leaves the queue if cancelled first.</summary>
    async Task WaitAsync(LinkedListNode<TaskCompletionSource> place, CancellationToken cancellationToken)
    {
        try
        {
            // Only a queued request pays for this registration; one admitted at once never waits.
            using (cancellationToken.Register(() => Leave(place, cancellationToken)))
            {
                await place.Value.Task;
            }
        }
        catch
        {
            gate.Leave();
            throw;
        }
    }

    /// <summary>A queued request's client left or its deadline passed: out of the queue, unless a slot was handed to it already.</summary>
    void Leave(LinkedListNode<TaskCompletionSource> node, CancellationToken token)
    {
        lock (sync)
        {
            if (node.List is null)
            {
                return;
            }
            queue.Remove(node);
        }
        node.Value.TrySetCanceled(token);
    }

    /// <summary>Frees a slot: to the oldest request waiting, or back to the free ones.</summary>
    void Release(long since)
    {
        var held = clock.GetElapsedTime(since);
        Interlocked.Decrement(ref running);
        TaskCompletionSource? next = null;
        lock (sync)
        {
            serviceTime.Record(held);
            if (queue.First is { } first)
            {
                queue.RemoveFirst();
                next = first.Value;
            }
            else
            {
                free++;
            }
        }
        gate.Leave();
        // Counted once the slot is free or handed on, so that a scrape that sees the count sees the slot freed too.
        holds.Record(held.TotalSeconds);
        next?.TrySetResult();
    }

    double Predict() => Math.Max(0, queue.Count + 1 - free) * serviceTime.Seconds / slots;

    RefusedException Busy(double predicted, bool queueFull)
    {
        var retryAfter = (int)Math.Clamp(Math.Ceiling(predicted), 1, 3600);
        var why = queueFull
            ? $"All {slots} explanation slots and all {queueLimit} places in the queue are taken (Cam:MaxConcurrentRequests, Cam:QueueLimit)"
            : string.Create(CultureInfo.InvariantCulture,
                $"All {slots} explanation slots are taken and the wait is predicted at {predicted:0.0#} s, beyond Cam:MaxQueueWaitSeconds ({budgetSeconds} s)");
        return new RefusedException(Refusal.Busy, "Busy", $"{why}. Retry after {retryAfter} s.", retryAfter);
    }

    /// <summary>
    /// A slot held; disposing it frees the slot for the oldest request waiting, once. Says what the request was
    /// predicted to wait and what it waited, for its Server-Timing.
    /// </summary>
    public sealed class AdmissionSlot(ExplainAdmission admission, TimeSpan predictedWait, TimeSpan waited, long since) : IDisposable
    {
        int released;

        public TimeSpan PredictedWait { get; } = predictedWait;

        public TimeSpan Waited { get; } = waited;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                admission.Release(since);
            }
        }
    }
}
