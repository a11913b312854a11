using System.Diagnostics;

namespace CamService.Fuzzing;

/// <summary>An input that broke the rule: which target, which input number (regenerated from the seed), what happened.</summary>
public sealed record Finding(string Target, long Index, string What);

public sealed record TargetReport(string Target, long Inputs, IReadOnlyDictionary<string, long> Outcomes, long Findings, IReadOnlyList<Finding> Examples, TimeSpan Elapsed);

/// <summary>
/// The campaign's figures. Resident memory is measured at the end of each round, caches emptied (<see cref="Campaign"/>): after
/// the first, after the warm-up (a tenth of the rounds; the start the end is compared with), the largest, and the last.
/// </summary>
public sealed record CampaignReport(int Seed, IReadOnlyList<TargetReport> Targets, long RssFirstBytes, long RssStartBytes, long RssEndBytes, long RssMaxBytes, TimeSpan Elapsed)
{
    public long Findings => Targets.Sum(t => t.Findings);

    /// <summary>The end's resident memory over the start's: 1.05 is 5 % more.</summary>
    public double RssGrowth => (double)RssEndBytes / RssStartBytes;
}

/// <summary>
/// Runs <c>inputs</c> inputs on each target, in rounds of <see cref="RoundSize"/> per target in turn, so all targets
/// share the process's memory as the service's traffic would. Input i of a target is the same on every run with the
/// same seed, whatever else runs, so a finding is reproduced from its target and number alone.
/// </summary>
public sealed class Campaign(IReadOnlyList<FuzzTarget> targets, int seed, long inputs, long firstIndex = 0, TextWriter? progress = null, string? findingsDirectory = null)
{
    public const int RoundSize = 1000;

    static readonly PoolWatch Watch = new();

    /// <summary>Examples of findings kept per target (each is also written to the findings folder, when there is one).</summary>
    const int MaxExamples = 50;

    /// <summary>
    /// An input that runs this long is reported as a hang (a decoder in a loop): far beyond any input's time, even on a
    /// machine shared with the whole test suite; the campaign itself cannot stop the input.
    /// </summary>
    public static readonly TimeSpan HangAfter = TimeSpan.FromSeconds(60);

    /// <summary>The input in flight and since when, for the hang watch.</summary>
    volatile InFlight? running;

    /// <summary>Inputs the hang watch reported, by target.</summary>
    readonly System.Collections.Concurrent.ConcurrentDictionary<(string, long), bool> hangs = new();

    public CampaignReport Run()
    {
        using var hangWatch = new Timer(_ => WatchForHang(), null, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));
        var clock = Stopwatch.StartNew();
        var outcomes = targets.ToDictionary(t => t.Name, _ => new Dictionary<string, long>());
        var examples = targets.ToDictionary(t => t.Name, _ => new List<Finding>());
        var findings = targets.ToDictionary(t => t.Name, _ => 0L);
        var elapsed = targets.ToDictionary(t => t.Name, _ => TimeSpan.Zero);
        long rssFirst = 0, rssStart = 0, rssMax = 0, rssEnd = 0;
        // Memory is compared from the end of a warm-up (a tenth of the rounds): pools, caches and compiled code fill first.
        var warmUpRounds = Math.Max(1, (int)((inputs + RoundSize - 1) / RoundSize / 10));
        var rounds = 0;
        for (var round = firstIndex; round < firstIndex + inputs; round += RoundSize)
        {
            var end = Math.Min(round + RoundSize, firstIndex + inputs);
            foreach (var target in targets)
            {
                var watch = Stopwatch.StartNew();
                for (var index = round; index < end; index++)
                {
                    var input = target.Input(seed, index);
                    var started = Stopwatch.GetTimestamp();
                    running = new InFlight(target.Name, index, started);
                    var outcome = target.Run(input);
                    running = null;
                    if (hangs.ContainsKey((target.Name, index)))
                    {
                        outcome = FuzzOutcome.Found($"ran for {Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s (then {outcome.Label})");
                    }
                    var counts = outcomes[target.Name];
                    counts[outcome.Label] = counts.GetValueOrDefault(outcome.Label) + 1;
                    if (outcome.Finding is { } what)
                    {
                        findings[target.Name]++;
                        if (examples[target.Name].Count < MaxExamples)
                        {
                            examples[target.Name].Add(new Finding(target.Name, index, what));
                            if (examples[target.Name].Count <= 5)
                            {
                                progress?.WriteLine($"FINDING {target.Name} #{index}: {what}");
                            }
                            if (findingsDirectory is not null)
                            {
                                Directory.CreateDirectory(findingsDirectory);
                                File.WriteAllBytes(Path.Combine(findingsDirectory, $"{target.Name}-{seed}-{index}.bin"), input);
                            }
                        }
                    }
                }
                elapsed[target.Name] += watch.Elapsed;
                progress?.WriteLine($"  {target.Name,-13} {end - firstIndex,9:N0} inputs in {elapsed[target.Name].TotalSeconds,6:F0} s");
            }
            var (rss, pooled) = ResidentBytes();
            rssFirst = rssFirst == 0 ? rss : rssFirst;
            if (++rounds == warmUpRounds)
            {
                rssStart = rss;
            }
            rssMax = Math.Max(rssMax, rss);
            rssEnd = rss;
            progress?.WriteLine($"{end - firstIndex,9:N0} inputs per target, {clock.Elapsed.TotalSeconds,7:F0} s, RSS {rss / 1048576.0,6:F0} MiB ({Managed()}{Breakdown()}; shared array pools held {pooled >> 20} MiB{Remaining()}), findings {findings.Values.Sum()}");
        }
        return new CampaignReport(seed, [.. targets.Select(t => new TargetReport(t.Name, inputs, outcomes[t.Name], findings[t.Name], examples[t.Name], elapsed[t.Name]))],
            rssFirst, rssStart, rssEnd, rssMax, clock.Elapsed);
    }

    void WatchForHang()
    {
        if (running is { } input && Stopwatch.GetElapsedTime(input.Started) > HangAfter && hangs.TryAdd((input.Target, input.Index), true))
        {
            progress?.WriteLine($"HANG {input.Target} #{input.Index}: running for {HangAfter.TotalSeconds:F0} s");
        }
    }

    /// <summary>
    /// What the process holds once the round's inputs are done, every cache it keeps for its next request emptied:
    /// ImageSharp's pools of pixel buffers (the loaders' and the renderer's) and the large arrays the runtime's shared
    /// array pools keep (<see cref="PoolWatch"/>; with them full, the large-object heap went between 10 and 44 MiB
    /// from round to round); then an aggressive full collection (every generation and the large-object heap compacted,
    /// the regions the collector no longer uses handed back) and glibc's heap trimmed. What grows from round to round
    /// is then what a leak would hold, not a cache filling up or memory freed but kept by an allocator. Also says how
    /// much the shared pools held before they were emptied.
    /// </summary>
    (long Rss, long Pooled) ResidentBytes()
    {
        foreach (var target in targets)
        {
            target.ReleaseRetainedMemory();
        }
        SixLabors.ImageSharp.Configuration.Default.MemoryAllocator.ReleaseRetainedResources();
        var pooled = Watch.HeldBytes();
        Watch.Empty();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        // Aggressive: compacts every generation and the large-object heap, and hands the collector's free regions back.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        // Native memory the decoders (libjpeg-turbo, ONNX Runtime) freed stays with glibc's allocator until trimmed.
        if (OperatingSystem.IsLinux())
        {
            MallocTrim(0);
        }
        using var process = Process.GetCurrentProcess();
        return (process.WorkingSet64, pooled);
    }

    /// <summary>What the shared pools still hold once emptied: arrays in other threads' own slots.</summary>
    static string Remaining() => Watch.Describe() is { Length: > 0 } left ? $", left {left}" : "";

    /// <summary>The managed heap after the collection: its size, the memory the collector has committed, the large-object heap's share, the free space pinned objects keep, and how many.</summary>
    static string Managed()
    {
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        return $"managed heap {info.HeapSizeBytes >> 20} (committed {info.TotalCommittedBytes >> 20}, large objects {info.GenerationInfo[3].SizeAfterBytes >> 20}, fragmented {info.FragmentedBytes >> 20}) MiB, " +
               $"{info.PinnedObjectsCount} pinned";
    }

    /// <summary>
    /// Resident memory by kind (Linux): anonymous (heaps, managed and native), file-backed (the libraries' code as it is
    /// paged in), shared (the runtime's double-mapped JIT code), and the threads, whose stacks and allocator arenas count.
    /// </summary>
    static string Breakdown()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "";
        }
        var fields = File.ReadLines("/proc/self/status").Select(l => l.Split(':', 2)).Where(f => f.Length == 2)
            .ToDictionary(f => f[0], f => f[1].Trim());
        string Mib(string key) => fields.TryGetValue(key, out var kb) ? $"{long.Parse(kb.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024}" : "?";
        return $"; anon {Mib("RssAnon")}, file {Mib("RssFile")}, shared {Mib("RssShmem")} MiB, {fields.GetValueOrDefault("Threads")} threads";
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "malloc_trim")]
    static extern int MallocTrim(nuint pad);

    sealed record InFlight(string Target, long Index, long Started);
}
