namespace CamService.Inference.Runtime;

/// <summary>
/// What a sweep over thread settings found for one model on this machine: the fastest
/// configuration for one run alone, and the cheapest in core time for when runs queue up.
/// </summary>
public sealed record ThreadTuning(IReadOnlyList<ThreadTrial> Trials)
{
    /// <summary>
    /// The lowest latency. Within 2 % of it, fewer threads win: they leave cores to other requests. At that
    /// count, spinning wins within 5 %: it costs nobody else (this setting runs only on cores held for it alone,
    /// and its pool stops spinning when the run returns), and where it leads, its lead is steady from sweep to
    /// sweep while a single sweep's figures are not, so a few percent of noise must not decide against it.
    /// </summary>
    public ThreadTrial Fastest
    {
        get
        {
            var best = Trials.Min(t => t.MedianMs);
            var threads = Trials.Where(t => t.MedianMs <= best * 1.02).Min(t => t.Threads);
            var atThatCount = Trials.Where(t => t.Threads == threads).ToList();
            var bestAtThatCount = atThatCount.Min(t => t.MedianMs);
            return atThatCount.Where(t => t.MedianMs <= bestAtThatCount * 1.05).OrderByDescending(t => t.Spinning).ThenBy(t => t.MedianMs).First();
        }
    }

    /// <summary>
    /// The lowest median measured, with no preference for fewer threads or spinning: what a benchmark's
    /// baseline runs with, so that the service's preferences never weaken the figure it is compared against.
    /// </summary>
    public ThreadTrial Quickest => Trials.MinBy(t => t.MedianMs)!;

    /// <summary>The fewest core-milliseconds per run, without spinning (a spinning pool burns the cores other runs are using).</summary>
    public ThreadTrial MostEfficient => Trials.Where(t => !t.Spinning).MinBy(t => t.CoreMs) ?? Fastest;
}
