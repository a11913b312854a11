using System.Diagnostics;
using CamService.Inference.Runtime;
using CamService.Onnx.CamReady;
using CamService.Onnx.Graph;
using CamService.Onnx.Model;
using Microsoft.ML.OnnxRuntime;

namespace CamService.Inference.Benchmarks;

/// <summary>Median forward times of a plain model and its CAM-ready version, measured in the same run.</summary>
public sealed record ForwardComparison(string Model, int Batch, int Runs, double PlainMs, double CamReadyMs)
{
    public double Ratio => CamReadyMs / PlainMs;
}

/// <summary>
/// Times the plain classifier's forward pass against the CAM-ready model's (logits, activations and
/// gradients for the top-1 class) with the same ONNX Runtime settings. Runs alternate between the
/// two so that a noisy neighbour slows both alike; medians resist the remaining outliers.
/// </summary>
public static class ForwardBenchmark
{
    public static ForwardComparison Compare(string plainPath, string camReadyPath, ExecutionSettings settings, int batch = 1, int runs = 30, int warmup = 5)
    {
        var plainProto = OnnxModelFile.Load(plainPath);
        var camProto = OnnxModelFile.Load(camReadyPath);
        var input = new GraphIndex(plainProto).DataInputs.Single();
        var size = CamModelInfo.Read(camProto).Preprocessing?.Height ?? 224;
        var shape = ShapeProbe.ProbeShape(input, size);
        shape[0] = batch;

        var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
        var random = new Random(3);
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (float)(random.NextDouble() * 2 - 1);
        }
        var targets = Enumerable.Repeat(-1L, batch).ToArray();

        using var plain = SessionFactory.Create(File.ReadAllBytes(plainPath), settings).Session;
        using var camReady = SessionFactory.Create(File.ReadAllBytes(camReadyPath), settings).Session;
        using var image = OrtValue.CreateTensorValueFromMemory(data, shape);
        using var target = OrtValue.CreateTensorValueFromMemory(targets, [batch, 1]);
        using var options = new RunOptions();
        var plainOutputs = plain.OutputNames.ToArray();
        var camOutputs = camReady.OutputNames.ToArray();

        double RunPlain()
        {
            var clock = Stopwatch.StartNew();
            using var results = plain.Run(options, [input.Name], [image], plainOutputs);
            return clock.Elapsed.TotalMilliseconds;
        }
        double RunCamReady()
        {
            var clock = Stopwatch.StartNew();
            using var results = camReady.Run(options, [input.Name, CamReadyContract.Targets], [image, target], camOutputs);
            return clock.Elapsed.TotalMilliseconds;
        }

        for (var i = 0; i < warmup; i++)
        {
            RunPlain();
            RunCamReady();
        }
        var plainTimes = new double[runs];
        var camTimes = new double[runs];
        for (var i = 0; i < runs; i++)
        {
            // Alternate which goes first, so neither always runs on a warmer cache.
            if (i % 2 == 0)
            {
                plainTimes[i] = RunPlain();
                camTimes[i] = RunCamReady();
            }
            else
            {
                camTimes[i] = RunCamReady();
                plainTimes[i] = RunPlain();
            }
        }
        return new ForwardComparison(Path.GetFileNameWithoutExtension(camReadyPath), batch, runs, Median(plainTimes), Median(camTimes));
    }

    public static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
