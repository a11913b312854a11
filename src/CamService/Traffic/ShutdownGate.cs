using CamService.Cam;
using Microsoft.Extensions.Options;

namespace CamService.Traffic;

/// <summary>
/// The service's way out on SIGTERM. The host stops in steps: first this gate closes — readiness
/// turns unhealthy and new explanations get 503 — then, after Shutdown:DelaySeconds, the server
/// stops listening and waits for the explanations in flight (queued or running) to finish, within
/// Shutdown:TimeoutSeconds.
/// </summary>
public sealed class ShutdownGate(IOptions<ShutdownOptions> options, IOptions<CamOptions> cam, ILogger<ShutdownGate> logger) : IHostedLifecycleService
{
    int inFlight;
    volatile bool closed;

    /// <summary>True once shutdown has begun.</summary>
    public bool IsClosed => closed;

    /// <summary>
    /// Explanations let through the gate and not finished: queued or running. A request still uploading is not
    /// one yet: it asks for a slot, and passes the gate, once its body is read.
    /// </summary>
    public int InFlight => Volatile.Read(ref inFlight);

    /// <summary>
    /// Lets an explanation through unless the gate is closed, and counts it in <see cref="InFlight"/> until
    /// <see cref="Leave"/>: <see cref="ExplainAdmission"/> calls both around a request's time in the queue and its slot.
    /// </summary>
    public bool TryEnter()
    {
        if (closed)
        {
            return false;
        }
        Interlocked.Increment(ref inFlight);
        return true;
    }

    /// <summary>An explanation let through has finished, or was refused a slot.</summary>
    public void Leave() => Interlocked.Decrement(ref inFlight);

    /// <summary>The refusal of a request that arrives, or asks for a slot, once the gate is closed.</summary>
    public RefusedException Refusal() => new(Traffic.Refusal.ShuttingDown, "Shutting down",
        "This instance is shutting down and takes no new explanations; retry, and the request will reach another instance or this one restarted.",
        cam.Value.RetryAfterSeconds);

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        closed = true;
        var delay = options.Value.DelaySeconds;
        logger.LogInformation("Shutting down: unready and refusing new explanations; {InFlight} in flight will finish; the server stops in {Delay} s",
            InFlight, delay);
        if (delay > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds(delay), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        logger.LogInformation("Stopped with {InFlight} explanations unfinished", InFlight);
        return Task.CompletedTask;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
