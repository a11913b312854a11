using System.Globalization;
using CamService.Inference.Benchmarks;
using CamService.Inference.Runtime;
using CamService.Onnx.CamReady;
using CamService.Onnx.Model;

namespace CamService.Cli.Commands;

/// <summary>tune &lt;model.onnx&gt;: times the model at every thread setting worth trying and says which the service would serve with.</summary>
public static class TuneCommand
{
    public const string Usage = "tune <model.onnx> [--max-threads N] [--no-spinning] [--runs 15] [--device cpu|cuda]";

    public static int Run(Arguments args, TextWriter output)
    {
        var path = args.Positional(0, "model");
        var cores = args.Int("max-threads", Environment.ProcessorCount);
        var runs = args.Int("runs", 15);
        var settings = new ExecutionSettings { Device = ParseDevice(args.Option("device")) };
        var candidates = ThreadTuner.Candidates(cores, spinning: !args.Flag("no-spinning"));
        args.RejectUnknown(1);

        var proto = OnnxModelFile.Load(path);
        var camReady = CamModelInfo.Read(proto).IsCamReady;
        var tuning = ThreadTuner.Measure(File.ReadAllBytes(path), settings,
            _ => camReady ? CamReadyModel.TimingInputs(proto) : ForwardBenchmark.PlainInputs(proto, 224), candidates, runs);

        output.WriteLine($"{Path.GetFileName(path)} ({(camReady ? "CAM-ready" : "plain")}), batch 1, {Environment.ProcessorCount} cores");
        output.WriteLine($"{"threads",8} {"spinning",9} {"median ms",10} {"core-ms",9}");
        foreach (var trial in tuning.Trials)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{trial.Threads,8} {(trial.Spinning ? "yes" : "no"),9} {trial.MedianMs,10:F2} {trial.CoreMs,9:F1}"));
        }
        output.WriteLine($"fastest: {tuning.Fastest.Choice}; under load: {tuning.MostEfficient.Choice}");
        return 0;
    }

    public static ExecutionDevice ParseDevice(string? device) => device?.ToLowerInvariant() switch
    {
        null or "cpu" => ExecutionDevice.Cpu,
        "cuda" => ExecutionDevice.Cuda,
        _ => throw new UsageException("--device is cpu or cuda."),
    };
}
