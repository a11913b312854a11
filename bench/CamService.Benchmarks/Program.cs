using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using CamService.Inference.Benchmarks;
using CamService.Inference.Runtime;
using CamService.Onnx.Graph;
using CamService.Onnx.Model;
using Microsoft.ML.OnnxRuntime;

// Usage: CamService.Benchmarks <service url> <plain models dir> <cam-ready models dir> <photo> [runs] [concurrency]
// (a) each CAM-ready forward against its plain forward (same ONNX Runtime settings, interleaved);
// (b) POST /cam for every model with overlays against the sum of the plain forwards, same run;
// (c) throughput with several clients at once, to compare thread-pool settings between two runs.
if (args.Length < 4)
{
    Console.Error.WriteLine("Usage: CamService.Benchmarks <service url> <plain models dir> <cam-ready models dir> <photo> [runs=20] [concurrency=4]");
    return 2;
}
var (url, plainDir, camDir, photo) = (args[0].TrimEnd('/'), args[1], args[2], args[3]);
var runs = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 20;
var concurrency = args.Length > 5 ? int.Parse(args[5], CultureInfo.InvariantCulture) : 4;
var ids = Directory.GetFiles(camDir, "*.onnx").Select(Path.GetFileNameWithoutExtension).Order().ToArray();
var settings = new ExecutionSettings { SharedThreadPool = OrtEnvironment.TryConfigureSharedThreadPool(0, allowSpinning: false) };

Console.WriteLine($"(a) forward: CAM-ready vs plain, batch 1, {runs} interleaved runs, medians");
Console.WriteLine($"{"model",-20} {"plain ms",10} {"CAM-ready ms",13} {"ratio",7}");
foreach (var id in ids)
{
    var result = ForwardBenchmark.Compare(Path.Combine(plainDir, $"{id}.onnx"), Path.Combine(camDir, $"{id}.onnx"), settings, 1, runs);
    Console.WriteLine(Invariant($"{id,-20} {result.PlainMs,10:F2} {result.CamReadyMs,13:F2} {result.Ratio,7:F3}"));
}

// Plain sessions for (b), fed a random 224×224 input each.
var plain = ids.Select(id =>
{
    var path = Path.Combine(plainDir, $"{id}.onnx");
    var input = new GraphIndex(OnnxModelFile.Load(path)).DataInputs.Single();
    var shape = ShapeProbe.ProbeShape(input, 224);
    shape[0] = 1;
    var random = new Random(1);
    var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
    for (var i = 0; i < data.Length; i++)
    {
        data[i] = (float)(random.NextDouble() * 2 - 1);
    }
    var session = SessionFactory.Create(File.ReadAllBytes(path), settings).Session;
    return (Session: session, Input: input.Name, Value: OrtValue.CreateTensorValueFromMemory(data, shape));
}).ToList();

double PlainForwards()
{
    var clock = Stopwatch.StartNew();
    foreach (var (session, input, value) in plain)
    {
        using var results = session.RunWithOwnOptions([input], [value], session.OutputNames.ToArray());
    }
    return clock.Elapsed.TotalMilliseconds;
}

using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(2) };
var photoBytes = File.ReadAllBytes(photo);
var stages = new double[4];
async Task<double> PostCam()
{
    using var form = new MultipartFormDataContent();
    var file = new ByteArrayContent(photoBytes);
    file.Headers.ContentType = new MediaTypeHeaderValue(photo.EndsWith(".png", StringComparison.OrdinalIgnoreCase) ? "image/png" : "image/jpeg");
    form.Add(file, "image", Path.GetFileName(photo));
    form.Add(new StringContent(string.Join(",", ids)), "models");
    var clock = Stopwatch.StartNew();
    using var response = await http.PostAsync("/cam", form);
    var body = await response.Content.ReadAsByteArrayAsync();
    var elapsed = clock.Elapsed.TotalMilliseconds;
    response.EnsureSuccessStatusCode();
    using var json = JsonDocument.Parse(body);
    foreach (var result in json.RootElement.GetProperty("results").EnumerateArray())
    {
        var t = result.GetProperty("timingsMs");
        stages[0] += t.GetProperty("preprocess").GetDouble();
        stages[1] += t.GetProperty("inference").GetDouble();
        stages[2] += t.GetProperty("cam").GetDouble();
        stages[3] += t.GetProperty("render").GetDouble();
    }
    return elapsed;
}

for (var i = 0; i < 3; i++)
{
    PlainForwards();
    await PostCam();
}
Array.Clear(stages);
var plainTimes = new double[runs];
var camTimes = new double[runs];
for (var i = 0; i < runs; i++)
{
    if (i % 2 == 0)
    {
        plainTimes[i] = PlainForwards();
        camTimes[i] = await PostCam();
    }
    else
    {
        camTimes[i] = await PostCam();
        plainTimes[i] = PlainForwards();
    }
}
var (plainMs, camMs) = (ForwardBenchmark.Median(plainTimes), ForwardBenchmark.Median(camTimes));
Console.WriteLine();
Console.WriteLine($"(b) POST /cam for {string.Join(", ", ids)} with overlays ({Path.GetFileName(photo)}), {runs} interleaved runs, medians");
Console.WriteLine(Invariant($"  sum of plain forwards {plainMs,9:F2} ms"));
Console.WriteLine(Invariant($"  POST /cam end to end  {camMs,9:F2} ms   ratio {camMs / plainMs:F3}"));
Console.WriteLine(Invariant($"  inside /cam, mean per request: preprocess {stages[0] / runs:F2}, inference {stages[1] / runs:F2}, cam {stages[2] / runs:F2}, render {stages[3] / runs:F2} ms"));

// (c) Several clients at once: requests per second.
var total = Math.Max(runs, concurrency * 4);
var started = Stopwatch.StartNew();
var next = 0;
await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
{
    while (Interlocked.Increment(ref next) <= total)
    {
        await PostCam();
    }
}));
Console.WriteLine();
Console.WriteLine(Invariant($"(c) {concurrency} concurrent clients, {total} requests: {total / started.Elapsed.TotalSeconds:F2} requests/s, {started.Elapsed.TotalMilliseconds / total:F1} ms per request"));

foreach (var (session, _, value) in plain)
{
    value.Dispose();
    session.Dispose();
}
return 0;

static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
