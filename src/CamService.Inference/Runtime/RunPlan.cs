namespace CamService.Inference.Runtime;

/// <summary>
/// How one request's model runs share the cores: one after another, each at its fastest setting, or
/// side by side, each at its most efficient one (<see cref="ServingThreads.UnderLoad"/>). Side by side
/// wins where the fastest settings use their extra threads poorly: a run that is barely faster on two
/// cores than on one leaves the second core better used by another model's run. The plan compares both
/// from the models' measured times (<see cref="For"/>).
/// </summary>
/// <param name="SideBySide">Whether the runs go side by side, each asking for its under-load cores.</param>
/// <param name="Order">
/// The runs' indices in the order they ask for cores. One after another, the runs that use every core go first and
/// those that leave cores free last (in the request's order otherwise): the pictures of the models before a run
/// that leaves a core free are drawn on that core while it runs.
/// </param>
/// <param name="EstimatedMs">The time this plan is expected to take; <see cref="SequentialMs"/> for the other.</param>
public sealed record RunPlan(bool SideBySide, IReadOnlyList<int> Order, double EstimatedMs, double SequentialMs)
{
    /// <summary>
    /// How much slower a run is assumed to be while other runs share the machine: they contend for memory
    /// bandwidth and the shared cache, which times measured alone do not show. Side by side must beat one
    /// after another by this margin; bench/service.sh's (d), two single-threaded workers against one at the
    /// fastest settings, measures the slowdown it stands for.
    /// </summary>
    public const double SharedMachineSlowdown = 1.2;

    /// <summary>
    /// The plan with the shorter estimate for runs with these thread settings on <paramref name="cores"/>
    /// cores; one after another where a model's times were not measured.
    /// </summary>
    public static RunPlan For(IReadOnlyList<ServingThreads> runs, int cores)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cores, 1);
        // OrderBy is stable: runs of the same width keep the request's order.
        var oneAfterAnother = Enumerable.Range(0, runs.Count).OrderBy(i => LeavesCoresFree(runs[i], cores)).ToList();
        var fastest = runs.Select(r => TimeOf(r, r.Fastest)).ToList();
        var underLoad = runs.Select(r => TimeOf(r, r.UnderLoad)).ToList();
        if (runs.Count < 2 || fastest.Any(t => t is null) || underLoad.Any(t => t is null))
        {
            return new RunPlan(false, oneAfterAnother, double.NaN, double.NaN);
        }
        var sequential = fastest.Sum(t => t!.Value);
        // Longest first: the short runs then fill the gaps the long ones leave (list scheduling).
        var order = Enumerable.Range(0, runs.Count).OrderByDescending(i => underLoad[i]).ToList();
        var sideBySide = Makespan(order.Select(i => (Width(runs[i].UnderLoad.Threads, cores), underLoad[i]!.Value)), cores)
                         * SharedMachineSlowdown;
        return sideBySide < sequential
            ? new RunPlan(true, order, sideBySide, sequential)
            : new RunPlan(false, oneAfterAnother, sequential, sequential);
    }

    /// <summary>Whether a run alone, at its fastest setting, leaves some of <paramref name="cores"/> cores free.</summary>
    public static bool LeavesCoresFree(ServingThreads threads, int cores) => Width(threads.Fastest.Threads, cores) < cores;

    static int Width(int threads, int cores) => threads == 0 ? cores : Math.Min(threads, cores);

    /// <summary>The measured median for <paramref name="choice"/>, if the model's threads were measured.</summary>
    static double? TimeOf(ServingThreads threads, ThreadChoice choice) =>
        threads.Tuning?.Trials.FirstOrDefault(t => t.Choice == choice)?.MedianMs;

    /// <summary>
    /// When the last run ends if each, in turn, starts as soon as its cores are free and not before the
    /// one ahead of it (as <see cref="CoreScheduler"/> grants them: first come, first served).
    /// </summary>
    public static double Makespan(IEnumerable<(int Cores, double Ms)> runs, int cores)
    {
        var freeAt = new double[cores];
        var lastStart = 0.0;
        foreach (var (width, ms) in runs)
        {
            Array.Sort(freeAt);
            var start = Math.Max(lastStart, freeAt[width - 1]);
            for (var c = 0; c < width; c++)
            {
                freeAt[c] = start + ms;
            }
            lastStart = start;
        }
        return freeAt.Max();
    }
}
