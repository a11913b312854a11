using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace CamService.Load;

/// <summary>
/// The admission queue under two kinds of client (bench/load.sh --admission): one client per slot (nobody waits:
/// the bound), then 8 clients that wait out a 503's Retry-After, then 128 that ignore it and ask again at once,
/// each phase on the 224 px photo. Reports refusals, throughput against the bound the cores allow (slots ÷ the
/// mean time a slot was held with one client per slot, read from the service's own /metrics), the service's CPU
/// per refusal, and the predicted against the measured queue waits of the answered requests (their Server-Timing).
/// </summary>
internal static partial class AdmissionBench
{
    const string SlotSeconds = "camservice_explanations_slot_duration_seconds";

    public static async Task<int> RunAsync(CamClient client, Uri url, int pid, int seconds, int slots)
    {
        using var http = new HttpClient { BaseAddress = url };
        var duration = TimeSpan.FromSeconds(seconds);
        Console.WriteLine($"Admission: {slots} slots (Cam:MaxConcurrentRequests), {seconds} s a phase after a warm-up of 8 polite clients for 5 s; " +
                          "CPU: the service's user + system time from /proc; the bound: slots ÷ the mean slot time with one client per slot (/metrics)");
        await Phase(client, http, pid, slots, 8, honour: true, TimeSpan.FromSeconds(5));
        var alone = await Phase(client, http, pid, slots, slots, honour: true, duration);
        var bound = alone.Bound;
        var polite = await Phase(client, http, pid, slots, 8, honour: true, duration);
        var rude = await Phase(client, http, pid, slots, 128, honour: false, duration);

        var cpuPerAnswer = polite.CpuSeconds / Math.Max(1, polite.Answered);
        Console.WriteLine($"{"clients",7} {"Retry-After",11} {"secs",5} {"200",6} {"503",6} {"other",5} {"200/s",6} {"slot ms",7} {"bound/s",7} {"200/s ÷ bound",13} " +
                          $"{"CPU s",6} {"CPU ms/200",10} {"p50 ms",7} {"wait p50 pred",13} {"wait p50 meas",13} {"meas/pred",9}");
        foreach (var p in new[] { alone, polite, rude })
        {
            var waits = p.Waits;
            Console.WriteLine($"{p.Clients,7} {(p.Honour ? "waited out" : "ignored"),11} {p.Seconds,5:F1} {p.Answered,6} {p.Refused,6} {p.Other,5} {p.Rate,6:F2} " +
                              $"{p.SlotSeconds * 1000,7:F1} {p.Bound,7:F2} {p.Rate / bound,13:F2} {p.CpuSeconds,6:F2} {p.CpuSeconds * 1000 / Math.Max(1, p.Answered),10:F1} " +
                              $"{Median(p.Latencies),7:F1} {Median(waits.Select(w => w.Predicted)),13:F1} {Median(waits.Select(w => w.Measured)),13:F1} " +
                              $"{Median(waits.Select(w => w.Measured)) / Median(waits.Select(w => w.Predicted)),9:F2}");
        }
        // The rude phase's CPU beyond what its answers cost at the polite phase's CPU per answer, in all and per refusal.
        var beyondAnswers = rude.CpuSeconds - rude.Answered * cpuPerAnswer;
        var refusalCpu = beyondAnswers / Math.Max(1, rude.Refused);
        Console.WriteLine($"The bound: {slots} slots ÷ {alone.SlotSeconds * 1000:F1} ms a slot with one client per slot = {bound:F2}/s.");
        Console.WriteLine($"8 polite clients: {polite.Refused} refusals, {polite.Rate / bound:F2}× the bound.");
        Console.WriteLine($"128 clients ignoring Retry-After: answered {rude.Rate:F2}/s = {rude.Rate / bound:F2}× the bound; " +
                          $"{rude.Refused} refusals ({rude.Refused / rude.Seconds:F0}/s); the service's CPU beyond its answers (CPU − answers × " +
                          $"{cpuPerAnswer * 1000:F1} ms): {beyondAnswers:F2} s of the phase's {rude.Seconds:F1} s on {Environment.ProcessorCount} cores " +
                          $"({100 * beyondAnswers / (rude.Seconds * Environment.ProcessorCount):F1} %), ≈ {refusalCpu * 1e6:F0} µs per refusal (a measure of a " +
                          $"refusal's cost where refusals dominate: with --Cam:PacedRefusalsPerSecond=0); this load generator's own CPU: {rude.LoaderCpuSeconds:F1} s.");
        Console.WriteLine("wait p50: of the answered requests' Server-Timing queue-predicted and queue, ms (queue also holds the image header's check, well under 1 ms here).");
        return 0;
    }

    static async Task<PhaseFigures> Phase(CamClient client, HttpClient http, int pid, int slots, int clients, bool honour, TimeSpan duration)
    {
        Console.Error.WriteLine($"admission phase: {clients} clients, Retry-After {(honour ? "waited out" : "ignored")}, {duration.TotalSeconds} s");
        var (slotSum, slotCount) = await ScrapeAsync(http);
        var cpu = CpuSeconds(pid);
        var loader = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var perClient = await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            var outcomes = new List<Outcome>();
            while (clock.Elapsed < duration)
            {
                var outcome = await client.SendAsync(RequestKind.Photo224);
                outcomes.Add(outcome);
                if (honour && outcome is { Status: 503, RetryAfter: { } wait } && duration - clock.Elapsed is var left && left > TimeSpan.Zero)
                {
                    await Task.Delay(wait < left ? wait : left);
                }
            }
            return outcomes;
        }));
        var elapsed = clock.Elapsed.TotalSeconds;
        var cpuUsed = CpuSeconds(pid) - cpu;
        var loaderUsed = (Process.GetCurrentProcess().TotalProcessorTime - loader).TotalSeconds;
        var (slotSumAfter, slotCountAfter) = await ScrapeAsync(http);
        var all = perClient.SelectMany(o => o).ToList();
        var answered = all.Where(o => o.Status == 200).ToList();
        return new PhaseFigures(clients, honour, elapsed, answered.Count, all.Count(o => o.Status == 503), all.Count(o => o.Status is not (200 or 503)),
            (slotSumAfter - slotSum) / Math.Max(1, slotCountAfter - slotCount), cpuUsed, loaderUsed,
            [.. answered.Select(o => o.LatencyMs)], [.. answered.Select(o => Waits(o.Timing)).OfType<(double, double)>()], slots);
    }

    /// <summary>The Server-Timing's queue-predicted and queue entries, in ms; null when either is missing.</summary>
    static (double Predicted, double Measured)? Waits(string? timing)
    {
        if (timing is null)
        {
            return null;
        }
        var predicted = Find(timing, "queue-predicted");
        var measured = Find(timing, "queue");
        return predicted is { } p && measured is { } m ? (p, m) : null;
    }

    static double? Find(string timing, string name) => TimingEntry().Matches(timing).FirstOrDefault(m => m.Groups["name"].Value == name) is { } match
        ? double.Parse(match.Groups["ms"].Value, CultureInfo.InvariantCulture)
        : null;

    [GeneratedRegex(@"(?<name>[\w-]+);dur=(?<ms>[\d.]+)")]
    private static partial Regex TimingEntry();

    /// <summary>The slot-time histogram's sum and count from /metrics.</summary>
    static async Task<(double Sum, double Count)> ScrapeAsync(HttpClient http)
    {
        var text = await http.GetStringAsync("/metrics");
        double Value(string series) => text.Split('\n').Where(l => l.StartsWith(series, StringComparison.Ordinal) && (l.Length == series.Length || l[series.Length] is ' ' or '{'))
            .Select(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Sum();
        return (Value(SlotSeconds + "_sum"), Value(SlotSeconds + "_count"));
    }

    /// <summary>A process's user + system CPU time from /proc/PID/stat (fields 14 and 15, in clock ticks of 1/100 s).</summary>
    static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    static double Median(IEnumerable<double> values) => new Latencies(values).Percentile(50);

    sealed record PhaseFigures(int Clients, bool Honour, double Seconds, int Answered, int Refused, int Other, double SlotSeconds, double CpuSeconds,
        double LoaderCpuSeconds, double[] Latencies, (double Predicted, double Measured)[] Waits, int Slots)
    {
        public double Rate => Answered / Seconds;

        /// <summary>The most answers a second the slots allow at this phase's slot time: every slot always held.</summary>
        public double Bound => Slots / SlotSeconds;
    }
}
