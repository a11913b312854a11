using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using CamService.Inference.Benchmarks;
using CamService.Inference.Explanations;
using CamService.Inference.Faithfulness;
using CamService.Inference.Methods;
using CamService.Inference.Runtime;

using CamService.Onnx.Model;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

// Usage: CamService.Trust.Benchmarks <cam-ready models dir> <service url> <224 px photo> <12 MP JPEG> <example photo> [runs=5] [models=efficientnet_b0,densenet121,resnet50]
// What issue 11's checks cost, same run:
//  1. In process, per model: the faithfulness metrics of one Grad-CAM map at 20 steps (Average Drop, deletion,
//     insertion: 41 forward passes in batches of 32 and 9, as the service runs them) against those same batches
//     through the plain model at every setting (intra-op threads 1..cores, spinning on and off; the fastest is the
//     baseline), and through the CAM-ready session the metrics use. Medians of `runs`, all taken in turns.
//     Then over HTTP: POST /cam of the 224 px photo with every metric against without (raw maps only), in turns,
//     the difference against the sum of the models' plain batches.
//  2. Over HTTP, against a running service with the three models: POST /cam/animation (default 640 px, GIF)
//     against the matching POST /cam (default outputs) on the 12 MP photo, taken in turns; medians and the GIF's size.
//  3. An example: the example photo explained by the models with every metric and their agreement, as tables.
if (args.Length < 5)
{
    Console.Error.WriteLine("Usage: CamService.Trust.Benchmarks <cam-ready models dir> <service url> <224 px photo> <12 MP JPEG> <example photo> [runs=5] [models=...]");
    return 2;
}
var directory = args[0];
var service = new Uri(args[1]);
var photo = await File.ReadAllBytesAsync(args[2]);
var phone = await File.ReadAllBytesAsync(args[3]);
var example = args[4];
var runs = args.Length > 5 ? int.Parse(args[5], CultureInfo.InvariantCulture) : 5;
var ids = (args.Length > 6 ? args[6] : "efficientnet_b0,densenet121,resnet50").Split(',');
var plainTotalMs = 0.0;
const int Steps = FaithfulnessOptions.DefaultSteps;

Console.WriteLine(Invariant($"{Environment.ProcessorCount} cores; medians of {runs} runs taken in turns"));
Console.WriteLine();
Console.WriteLine(Invariant($"Faithfulness metrics of one Grad-CAM map (drop, deletion and insertion at {Steps} steps), one 224×224 image:"));
Console.WriteLine();
Console.WriteLine("| model | forwards | batches | fastest plain setting | plain batches, ms | per image, ms | CAM-ready batches, ms | metrics, ms | metrics / plain | metrics / CAM-ready |");
Console.WriteLine("|---|---:|---|---|---:|---:|---:|---:|---:|---:|");
foreach (var id in ids)
{
    var proto = OnnxModelFile.Load(Path.Combine(directory, $"{id}.onnx"));
    var bytes = proto.ToByteArray();
    var candidates = ThreadTuner.Candidates(Environment.ProcessorCount);
    var tuning = ThreadTuner.Measure(bytes, new ExecutionSettings(), _ => CamReadyModel.TimingInputs(proto), candidates);
    using var model = CamReadyModel.Create(proto, new ExecutionSettings(), ServingThreads.From(tuning, "measured"), directory, serialized: bytes);
    var random = new Random(0);
    var image = Enumerable.Range(0, model.ImageLength).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
    var explained = CamEngine.Explain(model, id, image, 1, ExplanationTarget.TopOneOnly, [CamMethods.Default.Find("gradcam")!])[0];
    var map = explained.Maps[0];

    // The batches the evaluator makes of its forwards.
    var forwards = 1 + 2 * Steps;
    var batchSize = FaithfulnessOptions.Default.BatchSize;
    var batches = Enumerable.Range(0, (forwards + batchSize - 1) / batchSize).Select(b => Math.Min(batchSize, forwards - b * batchSize)).ToArray();

    // The plain model at every setting (intra-op threads 1..cores, spinning on and off), each timed in the rounds:
    // its fastest is the baseline, measured beside the metrics rather than picked beforehand on a quieter moment.
    var plainPath = Path.Combine(directory, "plain", $"{id}.onnx");
    var plainProto = OnnxModelFile.Load(plainPath);
    var plainBytes = File.ReadAllBytes(plainPath);
    var size = model.Preprocessing.Height;
    var plainSessions = candidates.Select(c => (Choice: c,
        Session: SessionFactory.Create(plainBytes, c.Apply(new ExecutionSettings { StopSpinningAfterRun = false })).Session)).ToList();
    var plainInputs = batches.Distinct().ToDictionary(n => n, n => PlainBatch(plainProto, size, n));
    using var options = new RunOptions();
    var camImages = new float[batches[0] * model.ImageLength];
    for (var i = 0; i < camImages.Length; i++)
    {
        camImages[i] = (float)(random.NextDouble() * 4 - 2);
    }
    var logits = new float[batches[0] * model.NumClasses];

    Func<double> PlainBatches(InferenceSession plain) => () =>
    {
        var outputs = plain.OutputNames.ToArray();
        var clock = Stopwatch.StartNew();
        foreach (var n in batches)
        {
            using var results = plain.Run(options, plainInputs[n].Names, plainInputs[n].Values, outputs);
        }
        return clock.Elapsed.TotalMilliseconds;
    };
    double CamReadyBatches()
    {
        var clock = Stopwatch.StartNew();
        foreach (var n in batches)
        {
            model.Forward(camImages.AsMemory(0, n * model.ImageLength), n, logits.AsSpan(0, n * model.NumClasses), CancellationToken.None);
        }
        return clock.Elapsed.TotalMilliseconds;
    }
    double Metrics() => FaithfulnessEvaluator.Evaluate(model, image, map.Map, map.Target.Index, map.Probability, FaithfulnessMetrics.All).Ms;

    List<Func<double>> parts = [.. plainSessions.Select(p => PlainBatches(p.Session)), CamReadyBatches, Metrics];
    var times = parts.Select(_ => new List<double>()).ToArray();
    foreach (var part in parts)
    {
        part();
    }
    for (var round = 0; round < runs; round++)
    {
        for (var k = 0; k < parts.Count; k++)
        {
            // Rotated, so that a machine that speeds up or slows down does not favour whichever comes first; the
            // pause lets a spinning pool stop before the next session runs.
            var index = (k + round) % parts.Count;
            Thread.Sleep(50);
            times[index].Add(parts[index]());
        }
    }
    var plainMedians = plainSessions.Select((p, i) => (p.Choice, Ms: ThreadTuner.Median(times[i]))).ToList();
    var (plainSetting, plainMs) = plainMedians.MinBy(p => p.Ms);
    var (camMs, metricsMs) = (ThreadTuner.Median(times[^2]), ThreadTuner.Median(times[^1]));
    plainTotalMs += plainMs;
    Console.WriteLine(Invariant(
        $"| {id} | {forwards} | {string.Join(" + ", batches)} | {plainSetting} | {plainMs:F0} | {plainMs / forwards:F2} | {camMs:F0} | {metricsMs:F0} | {metricsMs / plainMs:F2} | {metricsMs / camMs:F2} |"));
    Console.Error.WriteLine(Invariant($"{id}: plain batches by setting: {string.Join(", ", plainMedians.Select(p => $"{p.Choice} {p.Ms:F0} ms"))}"));
    plainSessions.ForEach(p => p.Session.Dispose());
    foreach (var inputs in plainInputs.Values)
    {
        inputs.Dispose();
    }
}

using var http = new HttpClient { BaseAddress = service, Timeout = TimeSpan.FromMinutes(5) };
async Task<(double Ms, long Bytes, string? Timing)> Post(string path, byte[] image, params (string Name, string Value)[] fields)
{
    using var form = new MultipartFormDataContent();
    var file = new ByteArrayContent(image);
    file.Headers.ContentType = new MediaTypeHeaderValue(image[0] == 0x89 ? "image/png" : "image/jpeg");
    form.Add(file, "image", "photo");
    form.Add(new StringContent(string.Join(',', ids)), "models");
    foreach (var (name, value) in fields)
    {
        form.Add(new StringContent(value), name);
    }
    var clock = Stopwatch.StartNew();
    using var response = await http.PostAsync(path, form);
    var body = await response.Content.ReadAsByteArrayAsync();
    var ms = clock.Elapsed.TotalMilliseconds;
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(body)}");
    }
    return (ms, body.Length, response.Headers.TryGetValues("Server-Timing", out var timing) ? string.Join(", ", timing) : null);
}

// Two requests in turns, each warmed up once (the first batch of 32 on a session sizes its memory).
async Task<(List<double> A, List<double> B, long BytesA, long BytesB, string? TimingB)> InTurns(Func<Task<(double Ms, long Bytes, string? Timing)>> a,
    Func<Task<(double Ms, long Bytes, string? Timing)>> b)
{
    await a();
    await b();
    var (timesA, timesB) = (new List<double>(), new List<double>());
    (double Ms, long Bytes, string? Timing) lastA = default, lastB = default;
    for (var round = 0; round < runs; round++)
    {
        if (round % 2 == 0)
        {
            lastA = await a();
            lastB = await b();
        }
        else
        {
            lastB = await b();
            lastA = await a();
        }
        timesA.Add(lastA.Ms);
        timesB.Add(lastB.Ms);
    }
    return (timesA, timesB, lastA.Bytes, lastB.Bytes, lastB.Timing);
}

var (without, with, _, _, _) = await InTurns(() => Post("cam", photo, ("outputs", "cam")), () => Post("cam", photo, ("outputs", "cam"), ("metrics", "all")));
var extra = ThreadTuner.Median(with) - ThreadTuner.Median(without);
Console.WriteLine();
Console.WriteLine(Invariant($"Through the service, POST /cam of the 224 px photo, {ids.Length} models, raw maps only: {ThreadTuner.Median(without):F0} ms ({without.Min():F0}–{without.Max():F0}); with metrics=all {ThreadTuner.Median(with):F0} ms ({with.Min():F0}–{with.Max():F0}). The metrics add {extra:F0} ms against {plainTotalMs:F0} ms for their {ids.Length * (1 + 2 * Steps)} forward passes through the plain models at their fastest settings, one model after another: {extra / plainTotalMs:F2}×."));

Console.WriteLine();
Console.WriteLine(Invariant($"POST /cam/animation against the matching POST /cam, {phone.Length / 1e6:F1} MB JPEG, models {string.Join(", ", ids)}:"));
Console.WriteLine();
var (cam, animation, camBytes, animationBytes, animationTiming) = await InTurns(() => Post("cam", phone), () => Post("cam/animation", phone));
var camMedian = ThreadTuner.Median(cam);
var animationMedian = ThreadTuner.Median(animation);
Console.WriteLine("| request | median ms | range ms | answer |");
Console.WriteLine("|---|---:|---|---:|");
Console.WriteLine(Invariant($"| POST /cam, default outputs (JSON) | {camMedian:F0} | {cam.Min():F0}–{cam.Max():F0} | {camBytes / 1e6:F2} MB |"));
Console.WriteLine(Invariant($"| POST /cam/animation (GIF, {ids.Length} frames) | {animationMedian:F0} | {animation.Min():F0}–{animation.Max():F0} | {animationBytes / 1e6:F2} MB |"));
Console.WriteLine();
Console.WriteLine(Invariant($"animation / cam: {animationMedian / camMedian:F2} (median of each); the last animation's Server-Timing: {animationTiming}"));

// 3. The example, as docs/performance.md shows it.
using (var form = new MultipartFormDataContent())
{
    var file = new ByteArrayContent(await File.ReadAllBytesAsync(example));
    file.Headers.ContentType = new MediaTypeHeaderValue(example.EndsWith(".png", StringComparison.OrdinalIgnoreCase) ? "image/png" : "image/jpeg");
    form.Add(file, "image", Path.GetFileName(example));
    form.Add(new StringContent(string.Join(',', ids)), "models");
    form.Add(new StringContent("all"), "metrics");
    form.Add(new StringContent("true"), "agreement");
    form.Add(new StringContent("cam"), "outputs");
    using var response = await http.PostAsync("cam", form);
    var body = await response.Content.ReadAsStringAsync();
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"POST cam: {(int)response.StatusCode} {body}");
    }
    using var answer = JsonDocument.Parse(body);
    var root = answer.RootElement;
    Console.WriteLine();
    Console.WriteLine(Invariant($"{Path.GetFileName(example)}, Grad-CAM, each model's own top-1; metrics at {Steps} steps:"));
    Console.WriteLine();
    Console.WriteLine("| model | untrained | top-1 | probability | Average Drop | increase | deletion AUC (lower is better) | insertion AUC (higher is better) | metrics ms |");
    Console.WriteLine("|---|---|---|---:|---:|---|---:|---:|---:|");
    foreach (var result in root.GetProperty("results").EnumerateArray())
    {
        var metrics = result.GetProperty("metrics");
        var top = result.GetProperty("predictions")[0];
        Console.WriteLine(Invariant(
            $"| {result.GetProperty("model").GetString()} | {result.GetProperty("untrained").GetBoolean()} | {top.GetProperty("label").GetString()} | {top.GetProperty("probability").GetDouble():P2} | {metrics.GetProperty("averageDrop").GetDouble():F1}% | {metrics.GetProperty("increase").GetBoolean()} | {metrics.GetProperty("deletionAuc").GetDouble():F3} | {metrics.GetProperty("insertionAuc").GetDouble():F3} | {result.GetProperty("timingsMs").GetProperty("metrics").GetDouble():F0} |"));
    }
    foreach (var agreement in root.GetProperty("agreement").EnumerateArray())
    {
        var models = agreement.GetProperty("models").EnumerateArray().Select(m => m.GetString()).ToList();
        Console.WriteLine();
        Console.WriteLine(Invariant($"Agreement ({agreement.GetProperty("method").GetString()}, {agreement.GetProperty("target").GetString()}): Spearman r / IoU of the top {agreement.GetProperty("topPercent").GetDouble()} %, on a {agreement.GetProperty("analysis").GetProperty("width").GetInt32()}×{agreement.GetProperty("analysis").GetProperty("height").GetInt32()} view of the photo"));
        Console.WriteLine();
        Console.WriteLine("| | " + string.Join(" | ", models) + " |");
        Console.WriteLine("|---|" + string.Concat(models.Select(_ => "---:|")));
        for (var i = 0; i < models.Count; i++)
        {
            var cells = Enumerable.Range(0, models.Count).Select(j => Invariant(
                $"{agreement.GetProperty("spearman")[i][j].GetDouble():F3} / {agreement.GetProperty("topPercentIou")[i][j].GetDouble():F3}"));
            Console.WriteLine($"| {models[i]} | {string.Join(" | ", cells)} |");
        }
    }
}
return 0;

// A batch of `count` noise images for a plain classifier, `size` pixels a side.
static NamedOrtValues PlainBatch(Onnx.ModelProto plain, int size, int count)
{
    var single = ForwardBenchmark.PlainInputs(plain, size);
    var shape = single.Values[0].GetTensorTypeAndShape().Shape;
    var name = single.Names[0];
    single.Dispose();
    shape[0] = count;
    var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
    var random = new Random(3);
    for (var i = 0; i < data.Length; i++)
    {
        data[i] = (float)(random.NextDouble() * 2 - 1);
    }
    return new NamedOrtValues([name], [OrtValue.CreateTensorValueFromMemory(data, shape)]);
}

static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
