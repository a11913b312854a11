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

    /// <summary>Explanations let through the gate and not finished: queued or running.</summary>
    public int InFlight => Volatile.Read(ref inFlight);

    /// <summary>Refuses an explanation once the gate is closed, and counts the ones let through until they finish.</summary>
    public async Task PassAsync(HttpContext context, RequestDelegate next)
    {
        if (closed)
        {
            await Refusals.WriteUnavailableAsync(context, Refusal.ShuttingDown, "Shutting down",
                "This instance is shutting down and takes no new explanations; retry, and the request will reach another instance or this one restarted.",
                cam.Value.RetryAfterSeconds);
            return;
        }
        Interlocked.Increment(ref inFlight);
        try
        {
            await next(context);
        }
        finally
        {
            Interlocked.Decrement(ref inFlight);
        }
    }

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
