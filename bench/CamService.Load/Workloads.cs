using System.Diagnostics;

namespace CamService.Load;

/// <summary>One phase: its normal clients' outcomes and, when slow uploaders ran beside them, how those fared.</summary>
internal sealed record PhaseResult(int Clients, TimeSpan Elapsed, IReadOnlyList<Outcome> Outcomes, long PeakRssBytes, SlowResult? Slow = null);

internal sealed record SoakResult(TimeSpan Elapsed, int Warmup, IReadOnlyList<Outcome> Outcomes, long WarmupRssBytes, long EndRssBytes, long PeakRssBytes);

/// <summary>The two ways of loading the service: a fixed time of many clients, and a fixed count of mixed requests.</summary>
internal static class Workloads
{
    // A Retry-After longer than this is not waited out in the soak, which has no end time of its own.
    static readonly TimeSpan LongestSoakRetryWait = TimeSpan.FromSeconds(30);

    // Shares of every 100 soak requests.
    static readonly (RequestKind Kind, int Share)[] SoakShares =
    [
        (RequestKind.Photo224, 70), (RequestKind.Photo1Mp, 15), (RequestKind.Photo12Mp, 3),
        (RequestKind.Corrupt, 7), (RequestKind.UnknownModel, 5),
    ];

    /// <summary>
    /// The kind of soak request i is <c>SoakPattern[i % 100]</c>: one of each kind first, so even a short
    /// warm-up meets them all, then the rest interleaved by smooth weighted round robin, so every stretch
    /// of the soak has about the same mix.
    /// </summary>
    public static readonly RequestKind[] SoakPattern = BuildSoakPattern();

    /// <summary>
    /// <paramref name="clients"/> loops send the 224 px photo until <paramref name="duration"/> is over, then the ones in
    /// flight are awaited; <paramref name="slow"/>'s uploaders, if given, upload beside them from the start until then.
    /// </summary>
    public static async Task<PhaseResult> RunPhaseAsync(CamClient client, int clients, TimeSpan duration, int pid, SlowUploads? slow = null)
    {
        var rss = RssSampler.Start(pid);
        using var stopSlow = new CancellationTokenSource();
        var slowRun = slow?.RunAsync(stopSlow.Token);
        var clock = Stopwatch.StartNew();
        List<Outcome>[] perClient;
        TimeSpan elapsed;
        SlowResult? slowResult = null;
        try
        {
            perClient = await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
            {
                var outcomes = new List<Outcome>();
                while (clock.Elapsed < duration)
                {
                    var outcome = await client.SendAsync(RequestKind.Photo224);
                    outcomes.Add(outcome);
                    await HonourRetryAfterAsync(outcome, duration - clock.Elapsed);
                }
                return outcomes;
            }));
            elapsed = clock.Elapsed;
        }
        finally
        {
            await stopSlow.CancelAsync();
            if (slowRun is not null)
            {
                slowResult = await slowRun;
            }
            await rss.StopAsync();
        }
        return new PhaseResult(clients, elapsed, [.. perClient.SelectMany(outcomes => outcomes)], rss.PeakBytes, slowResult);
    }

    /// <summary>Exactly <paramref name="requests"/> requests from <paramref name="clients"/> loops that take request numbers from one counter.</summary>
    public static async Task<SoakResult> RunSoakAsync(CamClient client, int requests, int clients, int pid)
    {
        // 10 %, but at least one of each kind.
        var warmup = Math.Max((requests + 9) / 10, Math.Min(requests, SoakShares.Length));
        var outcomes = new Outcome[requests];
        var next = -1;
        var warmupLeft = warmup;
        var warmupRss = 0L;
        var rss = RssSampler.Start(pid);
        var clock = Stopwatch.StartNew();
        try
        {
            await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
            {
                for (var i = Interlocked.Increment(ref next); i < requests; i = Interlocked.Increment(ref next))
                {
                    outcomes[i] = await client.SendAsync(SoakPattern[i % SoakPattern.Length]);
                    if (i < warmup && Interlocked.Decrement(ref warmupLeft) == 0)
                    {
                        warmupRss = RssSampler.Read(pid);
                    }
                    await HonourRetryAfterAsync(outcomes[i], LongestSoakRetryWait);
                }
            }));
        }
        finally
        {
            await rss.StopAsync();
        }
        var endRss = RssSampler.Read(pid);
        return new SoakResult(clock.Elapsed, warmup, outcomes, warmupRss, endRss, Math.Max(rss.PeakBytes, Math.Max(warmupRss, endRss)));
    }

    // A well-behaved client waits as long as a 503 asks before its next request, but no longer than it may.
    static Task HonourRetryAfterAsync(Outcome outcome, TimeSpan longest) =>
        outcome is { Status: 503, RetryAfter: { } wait } && longest > TimeSpan.Zero
            ? Task.Delay(wait < longest ? wait : longest)
            : Task.CompletedTask;

    static RequestKind[] BuildSoakPattern()
    {
        var pattern = SoakShares.Select(share => share.Kind).ToList();
        var left = SoakShares.Select(share => share.Share - 1).ToArray();
        var credit = new int[left.Length];
        while (pattern.Count < 100)
        {
            for (var k = 0; k < left.Length; k++)
            {
                credit[k] += left[k];
            }
            var pick = Array.IndexOf(credit, credit.Max());
            credit[pick] -= left.Sum();
            pattern.Add(SoakShares[pick].Kind);
        }
        return [.. pattern];
    }
}
