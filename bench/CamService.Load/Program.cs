using System.Globalization;
using System.Net;
using CamService.Load;

// Load and soak benchmark of POST /cam on a service listening on loopback (bench/load.sh starts the
// service and runs this). Exits 1 when an answer was malformed or a soak status unexpected, 2 on bad arguments.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

// bench/load.sh --admission: the admission queue's own phases (AdmissionBench), on the 224 px photo.
if (args is ["admission", "--url", var admissionUrl, "--pid", var admissionPid, "--photo-224", var photo, "--seconds", var admissionSeconds, "--slots", var slots])
{
    using var admissionClient = new CamClient(new Uri(admissionUrl), new Photos(photo, photo, photo, photo), 128);
    return await AdmissionBench.RunAsync(admissionClient, new Uri(admissionUrl), int.Parse(admissionPid, CultureInfo.InvariantCulture),
        int.Parse(admissionSeconds, CultureInfo.InvariantCulture), int.Parse(slots, CultureInfo.InvariantCulture));
}

Settings settings;
try
{
    settings = Settings.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine(Settings.Usage);
    return 2;
}

Console.WriteLine($"CamService load benchmark: POST {settings.Url}cam with the image alone (every ready model explains it), service pid {settings.Pid}");
Console.WriteLine("photos:");
foreach (var (kind, path) in settings.Photos.Files)
{
    Console.WriteLine($"  {Label(kind),-13} {path} ({new FileInfo(path).Length / 1024.0:F0} KiB)");
}
Console.WriteLine(settings.Clients.Length > 0
    ? $"phases: {string.Join(", ", settings.Clients)} clients, {settings.Seconds} s each, the 224 px photo; a client waits out a 503's Retry-After (up to the phase's end)" +
      (settings.Warmup > 0 ? $"; first a warm-up of {settings.Warmup} s, not reported" : "")
    : "phases: none");
if (settings.SlowUploads > 0)
{
    Console.WriteLine($"slow uploads: each phase runs alone, beside {settings.SlowUploads} clients that each upload {settings.SlowPhoto} as a form " +
                      $"at {settings.SlowRate} bytes/s (one upload after another, on connections of their own), and alone again");
}
Console.WriteLine(settings.Soak > 0
    ? $"soak: {settings.Soak} requests from {settings.SoakClients} clients, kinds from a fixed 100-slot pattern: {Mix()}"
    : "soak: none");
Console.WriteLine("latency: from sending until the whole body is read; percentiles are nearest-rank");

using var client = new CamClient(settings.Url, settings.Photos, Math.Max(settings.Clients.DefaultIfEmpty(1).Max(), settings.SoakClients));
var failures = new List<string>();

using var slow = settings.SlowUploads > 0 ? new SlowUploads(settings.Url, settings.SlowPhoto!, settings.SlowUploads, settings.SlowRate) : null;
if (settings.Warmup > 0 && settings.Clients.Length > 0)
{
    Console.Error.WriteLine($"warm-up: clients={settings.Clients[0]}, {settings.Warmup} s, not reported");
    await Workloads.RunPhaseAsync(client, settings.Clients[0], TimeSpan.FromSeconds(settings.Warmup), settings.Pid);
}
var phases = new List<PhaseResult>();
foreach (var clients in settings.Clients)
{
    Console.Error.WriteLine($"phase: clients={clients}, {settings.Seconds} s");
    phases.Add(await Workloads.RunPhaseAsync(client, clients, TimeSpan.FromSeconds(settings.Seconds), settings.Pid));
    if (slow is not null)
    {
        // Alone, beside the slow uploads, and alone again: the service's own drift (warm-up, a busy machine) falls on both sides.
        Console.Error.WriteLine($"phase: clients={clients} beside {slow.Clients} slow uploads, {settings.Seconds} s");
        phases.Add(await Workloads.RunPhaseAsync(client, clients, TimeSpan.FromSeconds(settings.Seconds), settings.Pid, slow));
        Console.Error.WriteLine($"phase: clients={clients} alone again, {settings.Seconds} s");
        phases.Add(await Workloads.RunPhaseAsync(client, clients, TimeSpan.FromSeconds(settings.Seconds), settings.Pid));
    }
}
if (phases.Count > 0)
{
    ReportPhases(phases);
}
if (slow is not null)
{
    ReportSlowUploads(phases);
}

if (settings.Soak > 0)
{
    Console.Error.WriteLine($"soak: {settings.Soak} requests, clients={settings.SoakClients}");
    ReportSoak(await Workloads.RunSoakAsync(client, settings.Soak, settings.SoakClients, settings.Pid));
}

Console.WriteLine();
if (failures.Count == 0)
{
    Console.WriteLine("OK: every answer well formed, every soak status expected");
    return 0;
}
foreach (var failure in failures)
{
    Console.WriteLine($"FAILED: {failure}");
}
return 1;

void ReportPhases(List<PhaseResult> results)
{
    var ok = results.Select(r => new Latencies(r.Outcomes.Where(o => o.Status == 200).Select(o => o.LatencyMs))).ToList();
    var throughput = results.Select((r, i) => ok[i].Count / r.Elapsed.TotalSeconds).ToList();
    var reference = results.FindIndex(r => r is { Clients: 1, Slow: null }) is var one and >= 0 ? ok[one].Percentile(50) : double.NaN;
    var fourClients = results.FindIndex(r => r is { Clients: 4, Slow: null }) is var four and >= 0 ? throughput[four] : double.NaN;

    Console.WriteLine();
    Console.WriteLine($"Phases. Reference: single-client p50 of 200s = {Number(reference, "F1")} ms");
    Console.WriteLine("(p50, p99: of the 200s; p99/ref: that p99 / the reference; 200/s / 4cl: throughput / the 4-client throughput;");
    Console.WriteLine(" refused: 503s, of which Retry-After carried that header; peak RSS: the service's, sampled every 50 ms)");
    Console.WriteLine($"{"clients",7} {"slow",4} {"sent",6} {"secs",5} {"200/s",6} {"p50 ms",8} {"p99 ms",8} {"p99/ref",7} {"200/s / 4cl",11} {"refused",7} {"Retry-After",11} {"refused p99",11} {"malformed",9} {"peak RSS MiB",12}  statuses");
    for (var i = 0; i < results.Count; i++)
    {
        var r = results[i];
        var refused = r.Outcomes.Where(o => o.Status == 503).ToList();
        var malformed = r.Outcomes.Count(o => o.Malformed is not null);
        Console.WriteLine(
            $"{r.Clients,7} {r.Slow?.Clients ?? 0,4} {r.Outcomes.Count,6} {r.Elapsed.TotalSeconds,5:F1} {throughput[i],6:F2} {Number(ok[i].Percentile(50), "F1"),8} {Number(ok[i].Percentile(99), "F1"),8} " +
            $"{Number(ok[i].Percentile(99) / reference, "F2"),7} {Number(throughput[i] / fourClients, "F2"),11} {refused.Count,7} {refused.Count(o => o.RetryAfter is not null),11} " +
            $"{Number(new Latencies(refused.Select(o => o.LatencyMs)).Percentile(99), "F1"),11} {malformed,9} {Mib(r.PeakRssBytes),12:F1}  {Statuses(r.Outcomes)}");
        if (malformed > 0)
        {
            failures.Add($"{malformed} malformed answers with {r.Clients} clients");
        }
    }
    ReportMalformed(results.SelectMany(r => r.Outcomes));
}

// Each phase beside slow uploads against the same phase alone, before and after it together, with the issue's targets
// for the normal clients: at least 0.9 of the throughput, a p99 within 1.2 times, and no more refusals.
void ReportSlowUploads(List<PhaseResult> results)
{
    Console.WriteLine();
    Console.WriteLine("Slow uploads: the normal clients beside them / alone before and after (targets: 200/s ratio >= 0.90, p99 ratio <= 1.20, no more refused)");
    Console.WriteLine($"{"clients",7} {"slow",4} {"B/s",4} {"body KiB",8} {"200/s alone",11} {"200/s beside",12} {"ratio",5} {"p99 alone",9} {"p99 beside",10} {"ratio",5} " +
                      $"{"refused alone",13} {"refused beside",14}  slow uploads' answers (0: connection closed before an answer was read)");
    for (var i = 1; i < results.Count; i++)
    {
        if (results[i].Slow is not { } slowResult)
        {
            continue;
        }
        var beside = results[i];
        PhaseResult[] alone = [results[i - 1], results[i + 1]];
        var aloneOk = alone.SelectMany(r => r.Outcomes).Where(o => o.Status == 200).ToList();
        var besideOk = beside.Outcomes.Where(o => o.Status == 200).ToList();
        var throughputAlone = aloneOk.Count / alone.Sum(r => r.Elapsed.TotalSeconds);
        var throughputBeside = besideOk.Count / beside.Elapsed.TotalSeconds;
        var p99Alone = new Latencies(aloneOk.Select(o => o.LatencyMs)).Percentile(99);
        var p99Beside = new Latencies(besideOk.Select(o => o.LatencyMs)).Percentile(99);
        // Refusals per phase: the two alone phases' mean against the one beside.
        var refusedAlone = alone.Sum(r => r.Outcomes.Count(o => o.Status != 200)) / 2.0;
        var refusedBeside = beside.Outcomes.Count(o => o.Status != 200);
        var throughputRatio = throughputBeside / throughputAlone;
        var p99Ratio = p99Beside / p99Alone;
        Console.WriteLine(
            $"{beside.Clients,7} {slowResult.Clients,4} {slowResult.BytesPerSecond,4} {slowResult.BodyBytes / 1024.0,8:F0} {throughputAlone,11:F2} {throughputBeside,12:F2} {Number(throughputRatio, "F2"),5} " +
            $"{Number(p99Alone, "F1"),9} {Number(p99Beside, "F1"),10} {Number(p99Ratio, "F2"),5} {refusedAlone,13:F1} {refusedBeside,14}  " +
            string.Join(" ", slowResult.Statuses.GroupBy(status => status).OrderBy(g => g.Key).Select(g => $"{g.Key}:{g.Count()}").Append($"open at the end:{slowResult.OpenAtEnd}")));
        if (!(throughputRatio >= 0.9) || !(p99Ratio <= 1.2) || refusedBeside > refusedAlone)
        {
            failures.Add($"beside {slowResult.Clients} slow uploads, {beside.Clients} clients got {Number(throughputRatio, "F2")}× the throughput and {Number(p99Ratio, "F2")}× the p99, " +
                         $"refused {refusedBeside} times against {refusedAlone:F1} alone");
        }
    }
}

void ReportSoak(SoakResult soak)
{
    Console.WriteLine();
    Console.WriteLine($"Soak: {soak.Outcomes.Count} requests from {settings.SoakClients} clients in {soak.Elapsed.TotalSeconds:F1} s ({soak.Outcomes.Count / soak.Elapsed.TotalSeconds:F2}/s), warm-up = the first {soak.Warmup}");
    Console.WriteLine($"{"kind",-13} {"sent",6} {"expected",8} {"p50 ms",8} {"malformed",9}  statuses");
    foreach (var kind in Enum.GetValues<RequestKind>())
    {
        var outcomes = soak.Outcomes.Where(o => o.Kind == kind).ToList();
        var answered = new Latencies(outcomes.Where(o => o.Status == Answer(kind)).Select(o => o.LatencyMs));
        Console.WriteLine($"{Label(kind),-13} {outcomes.Count,6} {Answer(kind),8} {Number(answered.Percentile(50), "F1"),8} {outcomes.Count(o => o.Malformed is not null),9}  {Statuses(outcomes)}");
    }
    Console.WriteLine($"RSS MiB: after warm-up {Mib(soak.WarmupRssBytes):F1}, at end {Mib(soak.EndRssBytes):F1}, end / warm-up {(double)soak.EndRssBytes / soak.WarmupRssBytes:F3}, peak {Mib(soak.PeakRssBytes):F1}");

    var unexpected = soak.Outcomes.Where(o => o.Malformed is null && !IsExpected(o)).ToList();
    Console.WriteLine(unexpected.Count == 0 ? "unexpected statuses: none" : "unexpected statuses:");
    foreach (var group in unexpected.GroupBy(o => (o.Kind, o.Status)).OrderBy(g => g.Key))
    {
        Console.WriteLine($"  {Label(group.Key.Kind)} answered {group.Key.Status}: {group.Count()}");
    }
    var malformed = soak.Outcomes.Count(o => o.Malformed is not null);
    if (malformed > 0)
    {
        failures.Add($"{malformed} malformed answers in the soak");
    }
    if (unexpected.Count > 0)
    {
        failures.Add($"{unexpected.Count} unexpected statuses in the soak");
    }
    ReportMalformed(soak.Outcomes);
}

static void ReportMalformed(IEnumerable<Outcome> outcomes)
{
    foreach (var reason in outcomes.Where(o => o.Malformed is not null).GroupBy(o => o.Malformed).OrderByDescending(g => g.Count()))
    {
        Console.WriteLine($"  {reason.Count()} malformed: {reason.Key}");
    }
}

// What each kind is answered when the service accepts it.
static int Answer(RequestKind kind) => kind switch
{
    RequestKind.Corrupt => 422,
    RequestKind.UnknownModel => 404,
    _ => 200,
};

// Any request may also be refused with 503 and Retry-After while the service is full: it learns
// that a file is corrupt or a model unknown only once it has admitted the request.
static bool IsExpected(Outcome outcome) =>
    outcome.Status == Answer(outcome.Kind) || (outcome.Status == 503 && outcome.RetryAfter is not null);

static string Label(RequestKind kind) => kind switch
{
    RequestKind.Photo224 => "224 px",
    RequestKind.Photo1Mp => "1 MP",
    RequestKind.Photo12Mp => "12 MP",
    RequestKind.Corrupt => "corrupt",
    _ => "unknown model",
};

static string Mix() => string.Join(", ", Workloads.SoakPattern.GroupBy(kind => kind).Select(g => $"{g.Count()} % {Label(g.Key)}"));

static string Statuses(IEnumerable<Outcome> outcomes) => string.Join(" ", outcomes
    .GroupBy(o => o.Status).OrderBy(g => g.Key)
    .Select(g => $"{(g.Key == 0 ? "none" : g.Key.ToString(CultureInfo.InvariantCulture))}:{g.Count()}"));

static string Number(double value, string format) => double.IsFinite(value) ? value.ToString(format, CultureInfo.InvariantCulture) : "-";

static double Mib(long bytes) => bytes / (1024.0 * 1024.0);

/// <summary>The command line: <c>--name value</c> pairs.</summary>
internal sealed record Settings(Uri Url, int Pid, Photos Photos, int Seconds, int[] Clients, int Soak, int SoakClients, int Warmup, int SlowUploads, int SlowRate, string? SlowPhoto)
{
    public const string Usage =
        "usage: CamService.Load --url http://127.0.0.1:PORT --pid SERVICE_PID --photo-224 FILE --photo-1mp FILE --photo-12mp FILE --corrupt FILE\n" +
        "                       [--seconds 20] [--clients 1,4,32,128] [--soak 5000] [--soak-clients 4]\n" +
        "                       [--warmup 0] [--slow-uploads 0 --slow-rate 300 --slow-photo FILE]";

    public static Settings Parse(string[] args)
    {
        var values = new Dictionary<string, string>();
        for (var i = 0; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 == args.Length)
            {
                throw new ArgumentException($"expected --name value at '{args[i]}'");
            }
            if (!values.TryAdd(args[i][2..], args[i + 1]))
            {
                throw new ArgumentException($"{args[i]} is given twice");
            }
        }
        string Take(string name, string? fallback = null) =>
            values.Remove(name, out var value) ? value : fallback ?? throw new ArgumentException($"--{name} is missing");
        int Count(string text, string name, int least) =>
            int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= least
                ? value
                : throw new ArgumentException($"--{name} must be a whole number of at least {least}, not '{text}'");
        string Photo(string name) =>
            Take(name) is var path && File.Exists(path) ? path : throw new ArgumentException($"--{name}: no file {path}");

        var url = Loopback(Take("url"));
        var pid = Count(Take("pid"), "pid", 1);
        try
        {
            RssSampler.Read(pid);
        }
        catch (InvalidOperationException e)
        {
            throw new ArgumentException($"--pid: {e.Message}", e);
        }
        var settings = new Settings(
            url,
            pid,
            new Photos(Photo("photo-224"), Photo("photo-1mp"), Photo("photo-12mp"), Photo("corrupt")),
            Count(Take("seconds", "20"), "seconds", 1),
            Take("clients", "1,4,32,128") is var counts && counts == "none" ? [] : [.. counts.Split(',').Select(text => Count(text, "clients", 1))],
            Count(Take("soak", "5000"), "soak", 0),
            Count(Take("soak-clients", "4"), "soak-clients", 1),
            Count(Take("warmup", "0"), "warmup", 0),
            Count(Take("slow-uploads", "0"), "slow-uploads", 0),
            Count(Take("slow-rate", "300"), "slow-rate", 1),
            null);
        if (settings.SlowUploads > 0)
        {
            settings = settings with { SlowPhoto = Photo("slow-photo") };
        }
        else
        {
            // bench/load.sh names the photo with --slow-uploads, whatever its count.
            values.Remove("slow-photo");
        }
        return values.Count == 0 ? settings : throw new ArgumentException($"unknown option --{values.Keys.First()}");
    }

    // Load is only ever aimed at a service on this machine: the address must be a literal loopback one.
    static Uri Loopback(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme == Uri.UriSchemeHttp
        && IPAddress.TryParse(url.DnsSafeHost, out var address) && IPAddress.IsLoopback(address)
        && url.AbsolutePath == "/" && url.Query.Length == 0
            ? url
            : throw new ArgumentException($"--url must be http://LOOPBACK-ADDRESS:PORT (such as http://127.0.0.1:5189), not '{text}'");
}
