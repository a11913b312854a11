using System.Diagnostics;
using System.Runtime;
using CamService.Onnx.Model;
using Microsoft.ML.OnnxRuntime;

namespace CamService.Inference.Runtime;

/// <summary>
/// Finds the thread settings a model runs fastest with by running it: which count wins depends on
/// the model as much as on the machine (on the same cores, one model runs faster on more threads
/// while another runs slower), so no rule of thumb can choose it.
/// </summary>
public static class ThreadTuner
{
    /// <summary>
    /// Thread counts worth trying on <paramref name="cores"/> cores: every count up to 8, then powers of
    /// two and the core count (beyond 8, neighbouring counts differ by less than the noise); spinning
    /// variants where there is more than one thread, when <paramref name="spinning"/> is asked for.
    /// </summary>
    public static IReadOnlyList<ThreadChoice> Candidates(int cores, bool spinning = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cores, 1);
        var counts = Enumerable.Range(1, Math.Min(cores, 8))
            .Concat(Enumerable.Range(4, 8).Select(p => 1 << p).Where(c => c < cores))
            .Append(cores)
            .Distinct()
            .Order();
        return counts.SelectMany(t => t > 1 && spinning
            ? new[] { new ThreadChoice(t, false), new ThreadChoice(t, true) }
            : [new ThreadChoice(t, false)]).ToList();
    }

    /// <summary>
    /// The settings a model serves with until it is measured: every core, without spinning — ONNX Runtime's own
    /// default, never far from the fastest for a run alone, and one session where a measured choice may need two.
    /// A sweep takes seconds a model on a few cores, so a new instance serves on this first and measures later.
    /// </summary>
    public static ThreadChoice Guess(int cores)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cores, 1);
        return new ThreadChoice(cores, false);
    }

    /// <summary>
    /// Times <paramref name="model"/> under each candidate, in a session of its own with a pool of that
    /// size, in up to <see cref="Passes"/> passes — in order, in reverse, in order, in reverse — so that a
    /// machine that slows down or speeds up during the sweep does not favour whichever candidate came
    /// first. Each pass gives a candidate <paramref name="warmup"/> unmeasured runs, then its share of
    /// <paramref name="runs"/> measured ones or as many as fit in its share of <paramref name="budget"/>;
    /// a candidate's time is its best pass (<see cref="BestPass"/>). One session exists at a time, made once the JIT
    /// is quiet (<see cref="AwaitQuietJit"/>). Runs on the calling thread, whose priority the pools inherit.
    /// <para>
    /// A model whose run outlasts a candidate's share of a pass gets one warm-up run and one measured run
    /// a pass, and no further pass once the passes so far took more than twice their share of the sweep's
    /// budget (<paramref name="budget"/> a candidate): the sweep's time stays bounded by its budget rather
    /// than by the model's run time, and at seconds a run, one run's noise no longer decides between settings.
    /// </para>
    /// </summary>
    /// <param name="model">The ONNX model, serialised.</param>
    /// <param name="settings">Everything but the thread settings (device, optimisation).</param>
    /// <param name="feeds">Makes the inputs of one run for a session; they are disposed after its runs.</param>
    /// <param name="passes">How many of the sweep's passes to make (<see cref="Passes"/>); each is a full sweep's pass in size.</param>
    public static ThreadTuning Measure(SerializedModel model, ExecutionSettings settings, Func<InferenceSession, NamedOrtValues> feeds,
        IEnumerable<ThreadChoice> candidates, int runs = 16, int warmup = 2, TimeSpan? budget = null, int passes = Passes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(passes, 1);
        var list = candidates.ToList();
        var perPass = Math.Max(2, (runs + Passes - 1) / Passes);
        var passBudget = (budget ?? TimeSpan.FromSeconds(3)) / Passes;
        var times = list.ToDictionary(c => c, _ => new List<List<double>>());
        var reversed = Enumerable.Reverse(list).ToList();
        var sweep = Stopwatch.StartNew();
        var jitWaitLeft = JitWaitLimit;
        for (var pass = 0; pass < passes; pass++)
        {
            if (pass > 0 && sweep.Elapsed > 2 * pass * list.Count * passBudget)
            {
                break; // the passes so far took more than twice their share: a slow model
            }
            foreach (var candidate in pass % 2 == 0 ? list : reversed)
            {
                // The wait is not the model's time: it does not count towards a slow model's bound.
                sweep.Stop();
                jitWaitLeft -= AwaitQuietJit(jitWaitLeft);
                sweep.Start();
                var (session, _) = SessionFactory.Create(model, candidate.Apply(settings));
                using (session)
                using (var inputs = feeds(session))
                using (var options = new RunOptions())
                {
                    var outputs = session.OutputNames.ToArray();
                    double Run()
                    {
                        var clock = Stopwatch.StartNew();
                        using var results = session.Run(options, inputs.Names, inputs.Values, outputs);
                        return clock.Elapsed.TotalMilliseconds;
                    }
                    for (var i = 0; i < warmup; i++)
                    {
                        if (Run() > passBudget.TotalMilliseconds)
                        {
                            break; // one cold run warms a slow model up enough
                        }
                    }
                    var measured = new List<double>();
                    times[candidate].Add(measured);
                    var spent = Stopwatch.StartNew();
                    for (var i = 0; i < perPass && (i == 0 || spent.Elapsed < passBudget); i++)
                    {
                        measured.Add(Run());
                    }
                }
            }
        }
        return new ThreadTuning(list.Select(c => new ThreadTrial(c.Threads, c.Spinning, BestPass(times[c]))).ToList());
    }

    /// <summary>
    /// Waits until .NET's JIT has compiled no method for <see cref="JitQuiet"/>, or <paramref name="limit"/> at
    /// most (a sweep waits <see cref="JitWaitLimit"/> in all); returns how long it waited. A process that has just
    /// started recompiles its hot methods, optimised, on a background thread at normal priority, while a service's
    /// sweep runs on compute threads at a lower one (<see cref="ComputeThreads"/>): the JIT would take a core from
    /// the pool being timed, and the candidates timed during that spell would look slower than they are.
    /// </summary>
    static TimeSpan AwaitQuietJit(TimeSpan limit)
    {
        var waited = Stopwatch.StartNew();
        var quiet = Stopwatch.StartNew();
        var compiled = JitInfo.GetCompiledMethodCount();
        while (quiet.Elapsed < JitQuiet && waited.Elapsed < limit)
        {
            Thread.Sleep(10);
            var now = JitInfo.GetCompiledMethodCount();
            if (now != compiled)
            {
                compiled = now;
                quiet.Restart();
            }
        }
        return waited.Elapsed;
    }

    static readonly TimeSpan JitQuiet = TimeSpan.FromMilliseconds(50);

    /// <summary>The most a sweep waits for the JIT in all: a service that keeps compiling still gets its measurement.</summary>
    static readonly TimeSpan JitWaitLimit = TimeSpan.FromSeconds(3);

    /// <summary>
    /// An earlier sweep brought up to date by one more pass over the settings that could still win: those within
    /// <see cref="Contenders"/> of its fastest. Each keeps the better of its earlier time and this pass's, as
    /// <see cref="BestPass"/> keeps a sweep's best pass: a busy spell only ever slows runs, so a figure a spell
    /// inflated is replaced as soon as a pass meets a quiet machine, and a quiet figure is never lost to a busy one.
    /// A service refines its remembered sweep at every start: a sweep made once in a busy spell would otherwise
    /// decide for good.
    /// </summary>
    public static ThreadTuning Refine(ThreadTuning earlier, SerializedModel model, ExecutionSettings settings, Func<InferenceSession, NamedOrtValues> feeds,
        int runs = 16, int warmup = 2, TimeSpan? budget = null)
    {
        var best = earlier.Trials.Min(t => t.MedianMs);
        var contenders = earlier.Trials.Where(t => t.MedianMs <= best * Contenders).Select(t => t.Choice).ToList();
        var pass = Measure(model, settings, feeds, contenders, runs, warmup, budget, passes: 1).Trials.ToDictionary(t => t.Choice);
        return new ThreadTuning(earlier.Trials
            .Select(t => pass.TryGetValue(t.Choice, out var again) && again.MedianMs < t.MedianMs ? again : t)
            .ToList());
    }

    /// <summary>
    /// Which settings <see cref="Refine"/> measures again: those within this factor of the fastest. Wide enough for
    /// a setting a busy spell slowed by some tens of percent, narrow enough that on many cores the refining pass
    /// skips the settings that cannot win (one thread of 32, say).
    /// </summary>
    public const double Contenders = 1.5;

    /// <summary>
    /// How many times the sweep goes over the candidates. A service measures at its first start, while the
    /// process itself is still busy starting (JIT, the host), and that spell can cover a whole pass: with
    /// four shorter passes rather than two long ones, each candidate still gets a pass after it.
    /// </summary>
    public const int Passes = 4;

    /// <summary>
    /// A candidate's time from its passes: the median of its best pass. A shared machine that is busy
    /// for a while makes runs slower, never faster, so a pass it slowed is dropped rather than mixed in:
    /// mixed in, one unlucky pass would hand the win to a candidate whose passes all met a quiet machine.
    /// </summary>
    public static double BestPass(IEnumerable<IReadOnlyCollection<double>> passes) =>
        passes.Where(pass => pass.Count > 0).Min(pass => Median(pass));

    public static double Median(IReadOnlyCollection<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
