using System.Threading.RateLimiting;
using CamService.Cam;
using Microsoft.Extensions.Options;

namespace CamService.Traffic;

/// <summary>
/// The explanation slots: at most Cam:MaxConcurrentRequests explanations at once and Cam:QueueLimit waiting
/// (oldest first); the rest are refused at once with 503 and Retry-After, and while the shutdown gate is closed
/// every request is.
/// </summary>
/// <remarks>
/// A request asks for its slot from its handler, once its body is read and checked (size, type, fields, models),
/// with <see cref="EnterAsync"/>: before that it costs memory, within Cam:Upload:MaxBytesInFlight (see
/// <see cref="UploadBudget"/>), never compute. Neither ASP.NET Core's rate-limiting middleware nor an endpoint
/// filter can wait that long: both run before the handler, which is where the body is read — so 16 clients
/// uploading at 300 bytes/s once held every slot, and the normal clients got nothing. A call in each handler is
/// the one place that knows its request is complete: /cam/animation has fields and limits of its own to check first.
/// The queue waits within the request's deadline, which began when the request arrived, upload included.
/// </remarks>
public sealed class ExplainAdmission : IDisposable
{
    readonly ConcurrencyLimiter limiter;
    readonly ShutdownGate gate;
    readonly CamOptions options;
    int running;

    public ExplainAdmission(IOptions<CamOptions> cam, ShutdownGate gate)
    {
        options = cam.Value;
        this.gate = gate;
        limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = options.ResolvedMaxConcurrentRequests,
            QueueLimit = options.QueueLimit,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    /// <summary>Explanations holding a slot.</summary>
    public int Running => Volatile.Read(ref running);

    /// <summary>Explanations waiting for a slot.</summary>
    public long Queued => limiter.GetStatistics()?.CurrentQueuedCount ?? 0;

    /// <summary>
    /// Waits for a slot (in the queue, if there is room) and holds it until the returned slot is disposed.
    /// Throws a <see cref="RefusedException"/> when the service is full or shutting down, and an
    /// <see cref="OperationCanceledException"/> when the request's deadline passes or its client leaves while it waits.
    /// </summary>
    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        if (!gate.TryEnter())
        {
            throw gate.Refusal();
        }
        RateLimitLease? lease = null;
        try
        {
            lease = await limiter.AcquireAsync(1, cancellationToken);
            if (!lease.IsAcquired)
            {
                throw Busy();
            }
            Interlocked.Increment(ref running);
            return new Slot(this, lease);
        }
        catch
        {
            lease?.Dispose();
            gate.Leave();
            throw;
        }
    }

    RefusedException Busy()
    {
        var slots = options.ResolvedMaxConcurrentRequests;
        var full = options.QueueLimit == 0
            ? $"All {slots} explanation slots are taken (Cam:MaxConcurrentRequests)"
            : $"All {slots} explanation slots and all {options.QueueLimit} places in the queue are taken (Cam:MaxConcurrentRequests, Cam:QueueLimit)";
        return new RefusedException(Refusal.Busy, "Busy", $"{full}. Retry after {options.RetryAfterSeconds} s.", options.RetryAfterSeconds);
    }

    public void Dispose() => limiter.Dispose();

    /// <summary>A slot held; disposing it frees the slot for the oldest request waiting, once.</summary>
    sealed class Slot(ExplainAdmission admission, RateLimitLease lease) : IDisposable
    {
        int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 1)
            {
                return;
            }
            Interlocked.Decrement(ref admission.running);
            lease.Dispose();
            admission.gate.Leave();
        }
    }
}
