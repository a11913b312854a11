using System.Diagnostics.Metrics;
using CamService.Cam;
using CamService.Metrics;
using Microsoft.Extensions.Options;

namespace CamService.Traffic;

/// <summary>
/// Paces the refusals of a full service: up to Cam:PacedRefusalsPerSecond are answered at once (a second's worth
/// may come together); beyond that rate each waits its turn, one every 1/rate seconds and at most
/// Cam:MaxRefusalHoldSeconds, before it is decided again. Clients that ignore Retry-After and ask again at once
/// otherwise take the cores from the explanations they wait for, however cheap each refusal is: the faster it is
/// answered, the sooner they ask again (docs/admission.md measures it). A held request costs its connection's
/// memory and a timer, no CPU; clients that wait out Retry-After never reach the rate.
/// </summary>
/// <remarks>
/// A token bucket of one second's worth, refilled at the rate; a refusal that finds it empty takes a token on
/// credit and waits until the credit is paid back, so the held are answered in their order, 1/rate apart.
/// The credit never exceeds the longest hold, so a storm that ends leaves no wait behind it; past
/// <see cref="MaxHeld"/> held at once (their memory), refusals are answered at once again.
/// </remarks>
public sealed class RefusalPacer
{
    /// <summary>
    /// Most requests held at once: each may hold up to Kestrel's request buffer (1 MiB) of a body it is sending, so
    /// this bounds what holding costs at 256 MiB; a storm of more clients than this is answered at once beyond it.
    /// </summary>
    public const int MaxHeld = 256;

    readonly Lock sync = new();
    readonly TimeProvider clock;
    readonly double rate;
    readonly double capacity;
    readonly TimeSpan maxHold;
    readonly Counter<long> paced;
    double tokens;
    long refilledAt;
    int held;

    public RefusalPacer(IOptions<CamOptions> cam, TimeProvider clock, IMeterFactory meters)
    {
        this.clock = clock;
        rate = cam.Value.PacedRefusalsPerSecond;
        capacity = tokens = Math.Max(1, rate);
        maxHold = TimeSpan.FromSeconds(cam.Value.MaxRefusalHoldSeconds);
        refilledAt = clock.GetTimestamp();
        paced = meters.Create(CamMetrics.MeterName).CreateCounter<long>("camservice.refusals.paced", "{request}",
            "Requests a full service would have refused beyond Cam:PacedRefusalsPerSecond, held for their turn, by what they met then: admitted or refused.");
    }

    /// <summary>Requests held now.</summary>
    public int Held => Volatile.Read(ref held);

    /// <summary>How long the refusal of a request arriving now waits for its turn (zero: answered at once); takes its token.</summary>
    public TimeSpan Turn()
    {
        if (rate <= 0 || maxHold <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }
        lock (sync)
        {
            var now = clock.GetTimestamp();
            tokens = Math.Min(capacity, tokens + clock.GetElapsedTime(refilledAt, now).TotalSeconds * rate);
            refilledAt = now;
            if (tokens >= 1)
            {
                tokens -= 1;
                return TimeSpan.Zero;
            }
            if (held >= MaxHeld)
            {
                return TimeSpan.Zero;
            }
            tokens = Math.Max(tokens - 1, -maxHold.TotalSeconds * rate);
            return TimeSpan.FromSeconds(Math.Min(-tokens / rate, maxHold.TotalSeconds));
        }
    }

    /// <summary>
    /// Waits for the turn of a refusal due now (<see cref="Turn"/>); returns whether it waited, in which case the
    /// caller decides again on the service as it is then. A client that leaves while held ends the wait.
    /// </summary>
    public async Task<bool> AwaitTurnAsync(CancellationToken cancellationToken)
    {
        var wait = Turn();
        if (wait <= TimeSpan.Zero)
        {
            return false;
        }
        // Counted once its timer runs: a request counted as held is one whose turn is on the clock.
        var turn = Task.Delay(wait, clock, cancellationToken);
        Interlocked.Increment(ref held);
        try
        {
            await turn;
        }
        catch (OperationCanceledException)
        {
            // The client left: nothing to answer, and nothing waits for the answer.
        }
        finally
        {
            Interlocked.Decrement(ref held);
        }
        return true;
    }

    /// <summary>Counts what a held request met at its turn.</summary>
    public void Decided(bool admitted) => paced.Add(1, new KeyValuePair<string, object?>("outcome", admitted ? "admitted" : "refused"));
}
