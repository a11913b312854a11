using System.Diagnostics;
using System.Globalization;
using CamService.Inference.Explanations;
using CamService.Inference.Methods;
using CamService.Inference.Runtime;
using CamService.Onnx.Model;
using Google.Protobuf;

// Usage: CamService.Methods.Benchmarks <cam-ready models dir> [runs=5] [models=efficientnet_b0,densenet121,resnet50]
// Per 224×224 image (one seeded random image, the model's own top-1 as target), each figure the median of `runs`
// engine calls (run + map) after one warm-up call, each model on its fastest thread setting measured first, as the
// service serves it (every intra-op thread count, spinning on and off):
//  - Grad-CAM, and every method but Score-CAM with its ratio to Grad-CAM, called in rounds (3 × runs of them);
//  - Ablation-CAM in closed form and by head runs (the general path);
//  - Score-CAM on all channels (one call: it takes seconds) and on the top N channels, with each map's
//    correlation with the all-channel map;
//  - two targets in one call against one target (Grad-CAM), in turns.
if (args.Length < 1)
{
    Console.Error.WriteLine("Usage: CamService.Methods.Benchmarks <cam-ready models dir> [runs=5] [models=efficientnet_b0,densenet121,resnet50]");
    return 2;
}
var directory = args[0];
var runs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
var ids = (args.Length > 2 ? args[2] : "efficientnet_b0,densenet121,resnet50").Split(',');
int[] topChannels = [16, 32, 64, 128, 256];

Console.WriteLine(Invariant($"{Environment.ProcessorCount} cores; each model on its fastest thread setting; medians of {runs} calls; ms per 224×224 image"));
Console.WriteLine();
Console.WriteLine("| model | method | variant | ms | × Grad-CAM | correlation with all channels |");
Console.WriteLine("|---|---|---|---:|---:|---:|");
foreach (var id in ids)
{
    var proto = OnnxModelFile.Load(Path.Combine(directory, $"{id}.onnx"));
    var bytes = proto.ToByteArray();
    var tuning = ThreadTuner.Measure(bytes, new ExecutionSettings(), _ => CamReadyModel.TimingInputs(proto), ThreadTuner.Candidates(Environment.ProcessorCount));
    Console.Error.WriteLine(Invariant($"{id}: fastest {tuning.Fastest.Choice} ({tuning.Fastest.MedianMs:F1} ms)"));
    using var model = CamReadyModel.Create(proto, new ExecutionSettings(), ServingThreads.From(tuning, "measured"), directory, serialized: bytes);
    var random = new Random(0);
    var image = Enumerable.Range(0, model.ImageLength).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();

    (double Ms, float[] Map) Time(CamMethod method, IReadOnlyList<ExplanationTarget> targets, MethodOptions options, int calls, bool warmUp = true)
    {
        var settings = new ExplainSettings { Methods = options };
        var times = new double[calls];
        float[] map = [];
        // A first call warms up, except where one call takes seconds anyway.
        for (var i = warmUp ? -1 : 0; i < calls; i++)
        {
            var clock = Stopwatch.StartNew();
            map = CamEngine.Explain(model, id, image, 1, targets, [method], settings)[0].Maps[0].Map.Data;
            if (i >= 0)
            {
                times[i] = clock.Elapsed.TotalMilliseconds;
            }
        }
        return (ThreadTuner.Median(times), map);
    }

    // The cheap methods in rounds, each round calling every one once in a rotated order, so a machine that
    // speeds up or slows down during the run does not favour whichever comes first.
    var cheap = CamMethods.Default.All.Where(m => m.Cost != CostClass.ManyForwards).ToList();
    var totals = cheap.ToDictionary(m => m.Name, _ => new List<double>());
    var own = cheap.ToDictionary(m => m.Name, _ => new List<double>());
    // Warm-up rounds first: the first model's methods would otherwise be timed in the JIT's unoptimised
    // first tier (Eigen-CAM 3 ms there against 0.8 once optimised), which the service's warm-up and steady
    // traffic leave behind.
    const int WarmUpRounds = 40;
    for (var round = -WarmUpRounds; round < Math.Max(runs, 3) * 3; round++)
    {
        for (var i = 0; i < cheap.Count; i++)
        {
            var method = cheap[(i + Math.Max(round, 0)) % cheap.Count];
            var clock = Stopwatch.StartNew();
            var map = CamEngine.Explain(model, id, image, 1, ExplanationTarget.TopOneOnly, [method])[0].Maps[0];
            if (round >= 0)
            {
                totals[method.Name].Add(clock.Elapsed.TotalMilliseconds);
                own[method.Name].Add(map.CamMs);
            }
        }
    }
    var gradCam = ThreadTuner.Median(totals["gradcam"]);
    void Row(string method, string variant, double ms, double? correlation = null) =>
        Console.WriteLine(Invariant($"| {id} | {method} | {variant} | {ms:F2} | {ms / gradCam:F3} | {(correlation is { } c ? c.ToString("F4", CultureInfo.InvariantCulture) : "")} |"));
    foreach (var method in cheap)
    {
        Row(method.Name, Invariant($"default, in rounds (the method itself {ThreadTuner.Median(own[method.Name]):F2} ms)"), ThreadTuner.Median(totals[method.Name]));
    }
    Row("ablationcam", "closed form", Time(new AblationCam(), ExplanationTarget.TopOneOnly, MethodOptions.Default, runs).Ms);
    Row("ablationcam", "head runs", Time(new AblationCam(), ExplanationTarget.TopOneOnly, MethodOptions.Default with { AblationClosedForm = false }, runs).Ms);

    var all = Time(new ScoreCam(), ExplanationTarget.TopOneOnly, MethodOptions.Default with { ScoreCamChannels = 0 }, 1, warmUp: false);
    Row("scorecam", $"all {model.ActivationShape[0]} channels (default), one call", all.Ms, 1);
    foreach (var n in topChannels.Where(n => n < model.ActivationShape[0]))
    {
        var top = Time(new ScoreCam(), ExplanationTarget.TopOneOnly, MethodOptions.Default with { ScoreCamChannels = n }, runs);
        Row("scorecam", $"top {n}", top.Ms, Correlation(top.Map, all.Map));
    }

    // One target and two, taken in turn.
    var (ones, twos) = (new List<double>(), new List<double>());
    for (var round = -1; round < Math.Max(runs, 3) * 3; round++)
    {
        foreach (var (targets, times) in new[] { ("281", ones), ("281,285", twos) })
        {
            var clock = Stopwatch.StartNew();
            CamEngine.Explain(model, id, image, 1, ExplanationTarget.ParseList(targets), [new GradCam()]);
            if (round >= 0)
            {
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
        }
    }
    var (one, two) = (ThreadTuner.Median(ones), ThreadTuner.Median(twos));
    Row("gradcam", "target 281", one);
    Row("gradcam", Invariant($"targets 281,285 in one call: {two / one:F3} × one target"), two);
}
return 0;

static double Correlation(float[] a, float[] b)
{
    var (meanA, meanB) = (a.Average(), b.Average());
    double cov = 0, varA = 0, varB = 0;
    for (var i = 0; i < a.Length; i++)
    {
        cov += (a[i] - meanA) * (b[i] - meanB);
        varA += (a[i] - meanA) * (a[i] - meanA);
        varB += (b[i] - meanB) * (b[i] - meanB);
    }
    return cov / Math.Sqrt(varA * varB);
}

static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
