using System.Globalization;
using CamService.Inference.Benchmarks;
using CamService.Inference.Runtime;

namespace CamService.Cli.Commands;

/// <summary>benchmark &lt;plain.onnx&gt; &lt;cam-ready.onnx&gt; ...: forward time of CAM-ready models against their plain sources.</summary>
public static class BenchmarkCommand
{
    public const string Usage = "benchmark <plain.onnx> <cam-ready.onnx> [<plain.onnx> <cam-ready.onnx> ...] [--runs 30] [--batch 1] [--threads 0] [--device cpu|cuda]";

    public static int Run(Arguments args, TextWriter output)
    {
        var runs = args.Int("runs", 30);
        var batch = args.Int("batch", 1);
        var settings = new ExecutionSettings
        {
            IntraOpThreads = args.Int("threads", 0),
            Device = args.Option("device")?.ToLowerInvariant() switch
            {
                null or "cpu" => ExecutionDevice.Cpu,
                "cuda" => ExecutionDevice.Cuda,
                _ => throw new UsageException("--device is cpu or cuda."),
            },
        };
        if (args.PositionalCount == 0 || args.PositionalCount % 2 != 0)
        {
            throw new UsageException("Give pairs of <plain.onnx> <cam-ready.onnx>.");
        }
        args.RejectUnknown(args.PositionalCount);

        output.WriteLine($"{"model",-24} {"batch",5} {"runs",5} {"plain ms",10} {"CAM-ready ms",13} {"ratio",7}");
        for (var i = 0; i < args.PositionalCount; i += 2)
        {
            var result = ForwardBenchmark.Compare(args.Positional(i, "plain model"), args.Positional(i + 1, "CAM-ready model"), settings, batch, runs);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{result.Model,-24} {result.Batch,5} {result.Runs,5} {result.PlainMs,10:F2} {result.CamReadyMs,13:F2} {result.Ratio,7:F3}"));
        }
        return 0;
    }
}
