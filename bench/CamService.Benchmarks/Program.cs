using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using CamService.Inference.Benchmarks;
using CamService.Inference.Runtime;
using CamService.Onnx.Model;
using Microsoft.ML.OnnxRuntime;

// Usage: CamService.Benchmarks <service url> <plain models dir> <cam-ready models dir> <224 photo> <12 MP photo> [runs] [clients]
// Every baseline is the strongest plain ONNX Runtime offers on this machine, measured in the same run:
// each plain model at its fastest thread setting (every count from 1 to the cores, spinning on and off).
// (a) each model's forward as the service runs it, against its fastest plain forward;
// (b) POST /cam, 224×224 photo, every model, JSON with overlays, against the sum of the fastest plain forwards,
//     and the CAM-ready runs alone, in process;
// (c) POST /cam, 12 MP photo, default outputs: time against (b) and size;
// (d) throughput with several clients, against what the plain models' cheapest core-milliseconds allow;
// (e) batching: milliseconds per image of the CAM-ready models at batch 1, 2 and 4.
if (args.Length < 5)
{
    Console.Error.WriteLine("Usage: CamService.Benchmarks <service url> <plain models dir> <cam-ready models dir> <224 photo> <12 MP photo> [runs=20] [clients=4,32]");
    return 2;
}
var (url, plainDir, camDir, photo, bigPhoto) = (args[0].TrimEnd('/'), args[1], args[2], args[3], args[4]);
var runs = args.Length > 5 ? int.Parse(args[5], CultureInfo.InvariantCulture) : 20;
// "none" leaves (d) out: for a long run of (a)-(c) alone.
var clientList = args.Length > 6 ? args[6] : "4,32";
int[] clientCounts = clientList == "none" ? [] : clientList.Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray();
var cores = Environment.ProcessorCount;
var candidates = ThreadTuner.Candidates(cores);
var settings = new ExecutionSettings();

using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(5) };
// A service from before thread measurement reports no threads: it ran ONNX Runtime's default pool.
var unmeasured = JsonDocument.Parse("""{"intraOp": 0, "spinning": false, "underLoad": 0}""").RootElement;
var served = JsonDocument.Parse(await http.GetStringAsync("/models")).RootElement.EnumerateArray()
    .Where(m => m.GetProperty("status").GetString() == "ready")
    .ToDictionary(m => m.GetProperty("id").GetString()!, m => m.TryGetProperty("threads", out var threads) ? threads : unmeasured);
var ids = served.Keys.Order().ToArray();
// (a) compares two forwards a few percent apart on a noisy machine: five times the runs (cheap at batch 1).
var forwardRuns = 5 * runs;
Console.WriteLine($"{cores} cores; thread settings tried: {string.Join("; ", candidates)}; medians of {runs} interleaved runs ({forwardRuns} for (a))");

Console.WriteLine();
Console.WriteLine("(a) forward, batch 1: the fastest CAM-ready run and the service's, against the fastest plain run");
Console.WriteLine($"{"model",-18} {"fastest plain",-22} {"ms",8} {"fastest CAM-ready",-22} {"ms",8} {"ratio",7} {"as served",-22} {"ms",8} {"ratio",7}");
var fastestPlain = new Dictionary<string, ThreadTrial>();
var cheapestPlain = new Dictionary<string, ThreadTrial>();
foreach (var id in ids)
{
    var threads = served[id];
    var serving = new ThreadChoice(threads.GetProperty("intraOp").GetInt32(), threads.GetProperty("spinning").GetBoolean());
    var result = ForwardBenchmark.Compare(Path.Combine(plainDir, $"{id}.onnx"), Path.Combine(camDir, $"{id}.onnx"), settings, candidates, forwardRuns, serving);
    fastestPlain[id] = result.Plain.Quickest;
    cheapestPlain[id] = result.Plain.MostEfficient;
    Console.WriteLine(Invariant($"{id,-18} {result.Plain.Quickest.Choice,-22} {result.PlainMs,8:F2} {result.Alike.Quickest.Choice,-22} {result.AlikeMs,8:F2} {result.Ratio,7:F3}") +
                      Invariant($" {serving,-22} {result.CamReadyMs,8:F2} {result.ServedRatio,7:F3}"));
    Console.WriteLine("    plain sweep: " + string.Join(", ", result.Plain.Trials.Select(t => Invariant($"{t.Choice} {t.MedianMs:F2}"))));
}

// Plain sessions at their fastest settings, for (b), with each of ONNX Runtime's two spinning policies: by default a
// spinning pool goes on spinning after its run; `session.force_spinning_stop` stops it. Which sums faster depends on
// the machine and the hour, so both are timed in every round and the baseline is the faster.
var plainPolicies = new[] { false, true }.Select(stop => ids.Select(id =>
{
    var path = Path.Combine(plainDir, $"{id}.onnx");
    var session = SessionFactory.Create(File.ReadAllBytes(path), fastestPlain[id].Choice.Apply(settings with { StopSpinningAfterRun = stop })).Session;
    return (Session: session, Inputs: ForwardBenchmark.PlainInputs(OnnxModelFile.Load(path), 224));
}).ToList()).ToList();

// Each plain model is timed on its own, after a pause: a pool left spinning by the default policy would slow the
// next model's run, making the baseline look worse than it is.
using var plainOptions = new RunOptions();
double PlainForwards(int policy)
{
    var total = 0.0;
    foreach (var (session, inputs) in plainPolicies[policy])
    {
        Thread.Sleep(ForwardBenchmark.SpinningStops);
        var clock = Stopwatch.StartNew();
        using var results = session.Run(plainOptions, inputs.Names, inputs.Values, session.OutputNames.ToArray());
        total += clock.Elapsed.TotalMilliseconds;
    }
    return total;
}

// The service's CAM-ready sessions at its settings, in process, one after another (as a request runs them when
// its plan says so), after the same pause: (b)'s request without HTTP, decoding and pictures, which splits
// (b)'s ratio into what the gradient graphs cost and what the service adds.
var camReady = ids.Select(id =>
{
    var path = Path.Combine(camDir, $"{id}.onnx");
    var threads = served[id];
    var choice = new ThreadChoice(Math.Max(1, threads.GetProperty("intraOp").GetInt32()), threads.GetProperty("spinning").GetBoolean());
    var session = SessionFactory.Create(File.ReadAllBytes(path), choice.Apply(settings)).Session;
    return (Session: session, Inputs: CamReadyModel.TimingInputs(OnnxModelFile.Load(path), 1));
}).ToList();
double CamReadyForwards()
{
    var clock = Stopwatch.StartNew();
    foreach (var (session, inputs) in camReady)
    {
        using var results = session.Run(plainOptions, inputs.Names, inputs.Values, session.OutputNames.ToArray());
    }
    return clock.Elapsed.TotalMilliseconds;
}

var stages = new double[4];
// Each request's Server-Timing entries (read, decode, explain, …), per photo, for their medians.
var serverTimings = new Dictionary<string, Dictionary<string, List<double>>>();
async Task<(double Ms, long Bytes)> PostCam(string path, bool countStages = true)
{
    using var form = new MultipartFormDataContent();
    var file = new ByteArrayContent(File.ReadAllBytes(path));
    file.Headers.ContentType = new MediaTypeHeaderValue(path.EndsWith(".png", StringComparison.OrdinalIgnoreCase) ? "image/png" : "image/jpeg");
    form.Add(file, "image", Path.GetFileName(path));
    form.Add(new StringContent(string.Join(",", ids)), "models");
    var clock = Stopwatch.StartNew();
    using var response = await http.PostAsync("/cam", form);
    var body = await response.Content.ReadAsByteArrayAsync();
    var elapsed = clock.Elapsed.TotalMilliseconds;
    response.EnsureSuccessStatusCode();
    if (countStages)
    {
        var timings = serverTimings.TryGetValue(path, out var kept) ? kept : serverTimings[path] = [];
        foreach (var entry in response.Headers.TryGetValues("Server-Timing", out var header) ? string.Join(",", header).Split(',') : [])
        {
            var parts = entry.Split(";dur=");
            (timings.TryGetValue(parts[0].Trim(), out var list) ? list : timings[parts[0].Trim()] = []).Add(double.Parse(parts[1], CultureInfo.InvariantCulture));
        }
        using var json = JsonDocument.Parse(body);
        foreach (var result in json.RootElement.GetProperty("results").EnumerateArray())
        {
            var t = result.GetProperty("timingsMs");
            stages[0] += t.GetProperty("preprocess").GetDouble();
            stages[1] += t.GetProperty("inference").GetDouble();
            stages[2] += t.GetProperty("cam").GetDouble();
            stages[3] += t.GetProperty("render").GetDouble();
        }
    }
    return (elapsed, body.Length);
}

// Warm-up: .NET compiles a method again, optimised, after 30 calls, on a background thread. After each of its first
// 30 or so requests the service kept a core busy for 100-250 ms (its CPU time in 30 ms windows; none after 40), time
// taken from whatever ran next, and three rounds left the first dozen measured rounds in that spell.
for (var i = 0; i < 20; i++)
{
    PlainForwards(0);
    PlainForwards(1);
    CamReadyForwards();
    await PostCam(photo, false);
    await PostCam(bigPhoto, false);
}
double[][] plainPolicyTimes = [new double[runs], new double[runs]];
var camReadyTimes = new double[runs];
var smallTimes = new double[runs];
var bigTimes = new double[runs];
long smallBytes = 0, bigBytes = 0;
var bigStages = new double[4];
for (var i = 0; i < runs; i++)
{
    // Rotate the order, so that none of the four always runs first.
    foreach (var step in Enumerable.Range(0, 4).Select(k => (k + i) % 4))
    {
        // This client's garbage (a 12 MP request leaves megabytes of it) is collected here, not by a background
        // collection during the next step's timing; then a pause long enough for a spinning pool (the plain
        // sessions', ONNX Runtime's default) to have stopped.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Thread.Sleep(ForwardBenchmark.SpinningStops);
        switch (step)
        {
            case 0:
                // Both policies, in an order that alternates between rounds.
                foreach (var policy in i % 2 == 0 ? [0, 1] : new[] { 1, 0 })
                {
                    plainPolicyTimes[policy][i] = PlainForwards(policy);
                }
                break;
            case 1:
                (smallTimes[i], smallBytes) = await PostCam(photo);
                break;
            case 3:
                camReadyTimes[i] = CamReadyForwards();
                break;
            default:
                var before = stages.ToArray();
                (bigTimes[i], bigBytes) = await PostCam(bigPhoto);
                for (var s = 0; s < 4; s++)
                {
                    bigStages[s] += stages[s] - before[s];
                    stages[s] = before[s];
                }
                break;
        }
    }
}
var (spinningOnMs, spinningStoppedMs) = (ThreadTuner.Median(plainPolicyTimes[0]), ThreadTuner.Median(plainPolicyTimes[1]));
var plainTimes = plainPolicyTimes[spinningOnMs <= spinningStoppedMs ? 0 : 1];
var (plainMs, smallMs, bigMs) = (ThreadTuner.Median(plainTimes), ThreadTuner.Median(smallTimes), ThreadTuner.Median(bigTimes));
// Each round's own ratio, its parts timed within a second of each other: a busy spell of a shared machine slows
// both, where the ratio of two medians can pair a quiet plain round with a busy request.
double PairedRatio(double[] times) => ThreadTuner.Median(times.Zip(plainTimes, (t, p) => t / p).ToArray());
Console.WriteLine();
Console.WriteLine($"(b) POST /cam, {Path.GetFileName(photo)}, models {string.Join(", ", ids)}, JSON with overlays");
Console.WriteLine(Invariant($"  sum of fastest plain forwards {plainMs,9:F2} ms   (pools left spinning after each run {spinningOnMs:F2} ms, stopped {spinningStoppedMs:F2} ms)"));
Console.WriteLine(Invariant($"  CAM-ready runs as served, in process, one after another {ThreadTuner.Median(camReadyTimes),9:F2} ms   ratio {ThreadTuner.Median(camReadyTimes) / plainMs:F3}   paired {PairedRatio(camReadyTimes):F3}"));
Console.WriteLine(Invariant($"  POST /cam end to end          {smallMs,9:F2} ms   ratio {smallMs / plainMs:F3}   paired {PairedRatio(smallTimes):F3}   answer {smallBytes / 1024.0:F0} KiB"));
Console.WriteLine(Invariant($"  inside, mean per request: preprocess {stages[0] / runs:F2}, inference {stages[1] / runs:F2}, cam {stages[2] / runs:F2}, render {stages[3] / runs:F2} ms"));
Console.WriteLine(ServerTimingMedians(photo));
Console.WriteLine(WhereTheTimeGoes());
Console.WriteLine();
Console.WriteLine($"(c) POST /cam, {Path.GetFileName(bigPhoto)} ({new FileInfo(bigPhoto).Length / 1e6:F2} MB), same models, default outputs");
Console.WriteLine(Invariant($"  POST /cam end to end          {bigMs,9:F2} ms   ratio to (b) {bigMs / smallMs:F3}   answer {bigBytes / 1e6:F2} MB"));
Console.WriteLine(Invariant($"  inside, mean per request: preprocess {bigStages[0] / runs:F2}, inference {bigStages[1] / runs:F2}, cam {bigStages[2] / runs:F2}, render {bigStages[3] / runs:F2} ms"));
Console.WriteLine(ServerTimingMedians(bigPhoto));

// (b)'s request taken apart, each part the median of its per-round figure: the service's runs (with preprocessing)
// against the same runs in process in the same round, what explaining adds to them (the pictures, the hand-offs
// between threads), decoding, and what happens outside the handler (HTTP, multipart, the client).
string WhereTheTimeGoes()
{
    if (!serverTimings.TryGetValue(photo, out var t) || !t.ContainsKey("inference"))
    {
        return "  parts: none (a build without Server-Timing)";
    }
    double Part(Func<int, double> part) => ThreadTuner.Median(Enumerable.Range(0, runs).Select(part).ToArray());
    double Handler(int i) => t["read"][i] + t["decode"][i] + t["explain"][i] + t["write"][i];
    return Invariant($"  parts, paired medians: runs in the service / in process {Part(i => t["inference"][i] / camReadyTimes[i]):F3} ") +
           Invariant($"({Part(i => t["inference"][i] - camReadyTimes[i]):+0.0;-0.0} ms), explain beyond the runs {Part(i => t["explain"][i] - t["inference"][i]):F1} ms, ") +
           Invariant($"read and decode {Part(i => t["read"][i] + t["decode"][i]):F1} ms, outside the handler {Part(i => smallTimes[i] - Handler(i)):F1} ms (handler {Part(Handler):F1})");
}

// An older build sends no Server-Timing on /cam.
string ServerTimingMedians(string path) => serverTimings.TryGetValue(path, out var timings) && timings.Count > 0
    ? "  Server-Timing, medians: " + string.Join(", ", timings.Select(t => Invariant($"{t.Key} {ThreadTuner.Median(t.Value):F1}"))) + " ms"
    : "  Server-Timing: none (a build from before it)";

// (d) Throughput, against two limits measured or computed in this run:
//  - the formula: every core busy with the plain models at their cheapest setting in core time, one request
//    being one forward of each: cores / Σ (threads × ms) requests per millisecond;
//  - measured: plain ONNX Runtime alone, no HTTP, no pictures — one worker per core, each running the three
//    plain models at one thread in a loop (in rounds taken in turn with the service's), and one worker running
//    them at their fastest settings; the better.
var coreMsPerRequest = ids.Sum(id => cheapestPlain[id].CoreMs);
var limit = cores * 1000 / coreMsPerRequest;
double PlainThroughput(int workers, Func<string, ThreadChoice> choice, TimeSpan duration)
{
    var sessions = Enumerable.Range(0, workers).Select(_ => ids.Select(id =>
    {
        var path = Path.Combine(plainDir, $"{id}.onnx");
        var session = SessionFactory.Create(File.ReadAllBytes(path), choice(id).Apply(settings)).Session;
        return (Session: session, Inputs: ForwardBenchmark.PlainInputs(OnnxModelFile.Load(path), 224));
    }).ToList()).ToList();
    var done = 0;
    var clock = Stopwatch.StartNew();
    var threads = sessions.Select(own => new Thread(() =>
    {
        using var options = new RunOptions();
        while (clock.Elapsed < duration)
        {
            foreach (var (session, inputs) in own)
            {
                using var results = session.Run(options, inputs.Names, inputs.Values, session.OutputNames.ToArray());
            }
            Interlocked.Increment(ref done);
        }
    })).ToList();
    threads.ForEach(t => t.Start());
    threads.ForEach(t => t.Join());
    var rate = done / clock.Elapsed.TotalSeconds;
    foreach (var (session, inputs) in sessions.SelectMany(s => s))
    {
        inputs.Dispose();
        session.Dispose();
    }
    return rate;
}
if (clientCounts.Length > 0)
{
    Thread.Sleep(200);
    var fastestAlone = PlainThroughput(1, id => fastestPlain[id].Choice, TimeSpan.FromSeconds(10));
    Console.WriteLine();
    Console.WriteLine(Invariant($"(d) throughput, {Path.GetFileName(photo)}, JSON with overlays"));
    Console.WriteLine(Invariant($"  formula: cores / Σ cheapest plain core-ms = {cores} / {coreMsPerRequest:F1} ms = {limit:F2} requests/s"));
    Console.WriteLine(Invariant($"  1 worker at the fastest settings (the fastest forwards one after another), alone: {fastestAlone:F2}/s"));
}

// Requests from every client, back to back, for a while: requests per second.
async Task<double> ServiceThroughput(int clients, TimeSpan duration)
{
    var done = 0;
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
    {
        while (clock.Elapsed < duration)
        {
            await PostCam(photo, false);
            Interlocked.Increment(ref done);
        }
    }));
    return done / clock.Elapsed.TotalSeconds;
}
foreach (var clients in clientCounts)
{
    await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => PostCam(photo, false))); // warm: every client connected
    // Rounds of the plain workers and the service in turn, so a machine that slows down for a while
    // (it is shared) slows both; the share is that of the totals.
    // The fastest forwards one after another are timed in the same rounds: measured once, before, they moved
    // from 13.5 to 18.7 requests/s between runs.
    var (plainRates, aloneRates, serviceRates) = (new List<double>(), new List<double>(), new List<double>());
    for (var round = 0; round < 3; round++)
    {
        plainRates.Add(PlainThroughput(cores, _ => new ThreadChoice(1, false), TimeSpan.FromSeconds(5)));
        aloneRates.Add(PlainThroughput(1, id => fastestPlain[id].Choice, TimeSpan.FromSeconds(5)));
        serviceRates.Add(await ServiceThroughput(clients, TimeSpan.FromSeconds(5)));
    }
    var alone = aloneRates.Average();
    var (plainRate, rate) = (Math.Max(plainRates.Average(), alone), serviceRates.Average());
    Console.WriteLine(Invariant($"  {clients,3} clients: {rate,6:F2} requests/s ({string.Join(", ", serviceRates.Select(r => r.ToString("F2", CultureInfo.InvariantCulture)))}); plain, {cores} workers × 1 thread, in turn: {plainRates.Average():F2}/s ({string.Join(", ", plainRates.Select(r => r.ToString("F2", CultureInfo.InvariantCulture)))})"));
    Console.WriteLine(Invariant($"      fastest forwards one after another, in turn: {alone:F2}/s ({string.Join(", ", aloneRates.Select(r => r.ToString("F2", CultureInfo.InvariantCulture)))})"));
    Console.WriteLine(Invariant($"      share of the measured plain {rate / plainRate:F3}, of the formula {rate / limit:F3}, of the fastest forwards one after another {rate / alone:F3}"));
}

// (e) Batching: could requests for one model that arrive together run as one batch for less?
Console.WriteLine();
Console.WriteLine("(e) batching: CAM-ready ms per image, at the under-load setting (1 thread) and the fastest, batch 1 / 2 / 4");
foreach (var id in ids)
{
    var proto = OnnxModelFile.Load(Path.Combine(camDir, $"{id}.onnx"));
    var bytes = File.ReadAllBytes(Path.Combine(camDir, $"{id}.onnx"));
    var threads = served[id];
    foreach (var choice in new[] { new ThreadChoice(Math.Max(1, threads.GetProperty("underLoad").GetInt32()), false),
                                   new ThreadChoice(threads.GetProperty("intraOp").GetInt32(), threads.GetProperty("spinning").GetBoolean()) }.Distinct())
    {
        using var session = SessionFactory.Create(bytes, choice.Apply(settings)).Session;
        var perImage = new[] { 1, 2, 4 }.Select(batch =>
        {
            using var inputs = CamReadyModel.TimingInputs(proto, batch);
            var times = new double[Math.Max(5, runs / batch)];
            using var options = new RunOptions();
            for (var i = -2; i < times.Length; i++)
            {
                var clock = Stopwatch.StartNew();
                using var results = session.Run(options, inputs.Names, inputs.Values, session.OutputNames.ToArray());
                if (i >= 0)
                {
                    times[i] = clock.Elapsed.TotalMilliseconds / batch;
                }
            }
            return ThreadTuner.Median(times);
        }).ToArray();
        Console.WriteLine(Invariant($"  {id,-18} {choice,-22} {perImage[0],8:F2} {perImage[1],8:F2} {perImage[2],8:F2}   batch 4 / batch 1 {perImage[2] / perImage[0]:F3}"));
    }
}

foreach (var (session, inputs) in plainPolicies.SelectMany(p => p).Concat(camReady))
{
    inputs.Dispose();
    session.Dispose();
}
return 0;

static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
