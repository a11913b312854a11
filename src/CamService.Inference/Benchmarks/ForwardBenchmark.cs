using System.Diagnostics;
using CamService.Inference.Runtime;
using CamService.Onnx.CamReady;
using CamService.Onnx.Graph;
using CamService.Onnx.Model;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace CamService.Inference.Benchmarks;

/// <summary>
/// A CAM-ready model as served (at the thread settings the service would measure for it) against its
/// plain source at the plain model's own fastest settings: the strongest baseline plain ONNX Runtime
/// offers on this machine, not the service's settings applied to both.
/// </summary>
/// <param name="Model">The CAM-ready file's name.</param>
/// <param name="Plain">Every thread setting tried on the plain model.</param>
/// <param name="Serving">The CAM-ready model's setting: as given (a running service's), else its own fastest.</param>
/// <param name="CamReady">Every thread setting tried on the CAM-ready model, when none was given.</param>
/// <param name="PlainMs">The plain model at its fastest setting, median of the interleaved runs.</param>
/// <param name="CamReadyMs">The CAM-ready model at <paramref name="Serving"/>, same runs.</param>
public sealed record ForwardComparison(string Model, int Runs, ThreadTuning Plain, ThreadChoice Serving, ThreadTuning? CamReady, double PlainMs, double CamReadyMs)
{
    public double Ratio => CamReadyMs / PlainMs;
}

/// <summary>Times plain and CAM-ready models: thread sweeps, then the two fastest settings interleaved.</summary>
public static class ForwardBenchmark
{
    /// <summary>
    /// How long a benchmark waits before timing another session: ONNX Runtime's default pool goes on spinning
    /// after its run (2^20 pauses: about 35 ms on this project's 2-core AMD machine, measured with the process's
    /// CPU time in 10 ms windows), and a pool still spinning takes a core from the next session's run. A 20 ms
    /// pause let the plain session's pool spin into the first timed runs of efficientnet_b0's CAM-ready block
    /// (a 9 ms run): only ever the CAM-ready side, since the served session stops spinning after its run.
    /// </summary>
    public static readonly TimeSpan SpinningStops = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Sweeps the plain model over <paramref name="candidates"/> (batch 1) with ONNX Runtime's own spinning
    /// behaviour — and the CAM-ready one, unless <paramref name="serving"/> says how it is served, with
    /// <paramref name="settings"/>' — then runs each at its setting <paramref name="runs"/> times, in
    /// alternating blocks so that a noisy neighbour slows both alike. Between blocks it pauses, so that a
    /// spinning pool has stopped before the other session runs; each block's first run is not counted.
    /// </summary>
    public static ForwardComparison Compare(string plainPath, string camReadyPath, ExecutionSettings settings, IReadOnlyList<ThreadChoice> candidates,
        int runs = 30, ThreadChoice? serving = null)
    {
        var plainSettings = settings with { StopSpinningAfterRun = false };
        var plainProto = OnnxModelFile.Load(plainPath);
        var camProto = OnnxModelFile.Load(camReadyPath);
        using var plainBytes = SerializedModel.Of(plainProto);
        using var camBytes = SerializedModel.Of(camProto);
        var size = CamModelInfo.Read(camProto).Preprocessing?.Height ?? 224;

        var plainTuning = ThreadTuner.Measure(plainBytes, plainSettings, _ => PlainInputs(plainProto, size), candidates);
        var camTuning = serving is null ? ThreadTuner.Measure(camBytes, settings, _ => CamReadyModel.TimingInputs(camProto), candidates) : null;
        var servingChoice = serving ?? camTuning!.Fastest.Choice;

        using var plain = SessionFactory.Create(plainBytes, plainTuning.Quickest.Choice.Apply(plainSettings)).Session;
        using var camReady = SessionFactory.Create(camBytes, servingChoice.Apply(settings)).Session;
        using var plainInputs = PlainInputs(plainProto, size);
        using var camInputs = CamReadyModel.TimingInputs(camProto);
        using var options = new RunOptions();
        var plainOutputs = plain.OutputNames.ToArray();
        var camOutputs = camReady.OutputNames.ToArray();

        double RunPlain()
        {
            var clock = Stopwatch.StartNew();
            using var results = plain.Run(options, plainInputs.Names, plainInputs.Values, plainOutputs);
            return clock.Elapsed.TotalMilliseconds;
        }
        double RunCamReady()
        {
            var clock = Stopwatch.StartNew();
            using var results = camReady.Run(options, camInputs.Names, camInputs.Values, camOutputs);
            return clock.Elapsed.TotalMilliseconds;
        }

        const int block = 5;
        var plainTimes = new List<double>(runs);
        var camTimes = new List<double>(runs);
        for (var i = 0; plainTimes.Count < runs; i++)
        {
            (Func<double> Run, List<double> Times)[] order = i % 2 == 0 ? [(RunPlain, plainTimes), (RunCamReady, camTimes)] : [(RunCamReady, camTimes), (RunPlain, plainTimes)];
            foreach (var (run, times) in order)
            {
                Thread.Sleep(SpinningStops);
                run();
                for (var k = 0; k < block && times.Count < runs; k++)
                {
                    times.Add(run());
                }
            }
        }
        return new ForwardComparison(Path.GetFileNameWithoutExtension(camReadyPath), runs, plainTuning, servingChoice, camTuning,
            ThreadTuner.Median(plainTimes), ThreadTuner.Median(camTimes));
    }

    /// <summary>A batch-1 input of uniform noise in [−1, 1) for a plain classifier, <paramref name="size"/> pixels a side.</summary>
    public static NamedOrtValues PlainInputs(ModelProto plain, int size)
    {
        var input = new GraphIndex(plain).DataInputs.Single();
        var shape = ShapeProbe.ProbeShape(input, size);
        shape[0] = 1;
        var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
        var random = new Random(3);
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (float)(random.NextDouble() * 2 - 1);
        }
        return new NamedOrtValues([input.Name], [OrtValue.CreateTensorValueFromMemory(data, shape)]);
    }
}
