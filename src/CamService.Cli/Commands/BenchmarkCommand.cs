using System.Globalization;
using CamService.Inference.Benchmarks;
using CamService.Inference.Runtime;

namespace CamService.Cli.Commands;

/// <summary>
/// benchmark &lt;plain.onnx&gt; &lt;cam-ready.onnx&gt; ...: each CAM-ready model against its plain source, each at its own
/// fastest setting (the graph's cost), and at the thread setting the service would choose, as served (<see cref="ForwardComparison"/>);
/// a run is one image unless --batch says more.
/// </summary>
public static class BenchmarkCommand
{
    public const string Usage = "benchmark <plain.onnx> <cam-ready.onnx> [<plain.onnx> <cam-ready.onnx> ...] [--runs 30] [--batch 1] [--max-threads N] [--no-spinning] [--device cpu|cuda]";

    public static int Run(Arguments args, TextWriter output)
    {
        var runs = args.Int("runs", 30);
        var batch = args.Int("batch", 1);
        if (batch < 1)
        {
            throw new UsageException("--batch takes a number of images, at least 1.");
        }
        var cores = args.Int("max-threads", Environment.ProcessorCount);
        var candidates = ThreadTuner.Candidates(cores, spinning: !args.Flag("no-spinning"));
        var settings = new ExecutionSettings { Device = TuneCommand.ParseDevice(args.Option("device")) };
        if (args.PositionalCount == 0 || args.PositionalCount % 2 != 0)
        {
            throw new UsageException("Give pairs of <plain.onnx> <cam-ready.onnx>.");
        }
        args.RejectUnknown(args.PositionalCount);

        output.WriteLine($"Thread settings tried on each model: {string.Join("; ", candidates)}. Medians of {runs} interleaved batch-{batch} runs.");
        output.WriteLine($"{"model",-20} {"fastest plain",-22} {"ms",8} {"fastest CAM-ready",-22} {"ms",8} {"ratio",7} {"CAM-ready as served",-22} {"ms",8} {"ratio",7}");
        for (var i = 0; i < args.PositionalCount; i += 2)
        {
            var result = ForwardBenchmark.Compare(args.Positional(i, "plain model"), args.Positional(i + 1, "CAM-ready model"), settings, candidates, runs, batch: batch);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{result.Model,-20} {result.Plain.Quickest.Choice,-22} {result.PlainMs,8:F2} {result.Alike.Quickest.Choice,-22} {result.AlikeMs,8:F2} {result.Ratio,7:F3} " +
                $"{result.Serving,-22} {result.CamReadyMs,8:F2} {result.ServedRatio,7:F3}"));
            foreach (var (name, tuning) in new[] { ("plain", result.Plain), ("CAM-ready", result.Alike), ("served", result.CamReady!) })
            {
                output.WriteLine($"    {name,-10} sweep: " + string.Join(", ", tuning.Trials.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Choice} {t.MedianMs:F2}"))));
            }
        }
        return 0;
    }
}
