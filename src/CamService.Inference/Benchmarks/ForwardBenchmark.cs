using System.Diagnostics;
using CamService.Inference.Runtime;
using CamService.Onnx.CamReady;
using CamService.Onnx.Graph;
using CamService.Onnx.Model;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace CamService.Inference.Benchmarks;

/// <summary>
/// A CAM-ready model against its plain source, each at its own fastest settings with ONNX Runtime's own pool
/// behaviour (the graph's cost: the strongest baseline plain ONNX Runtime offers on this machine), and as served
/// (at the thread settings the service would measure for it, its pool stopping its spin after each run so that it
/// leaves the cores to other work: a serving policy that would cost a plain model the same).
/// </summary>
/// <param name="Model">The CAM-ready file's name.</param>
/// <param name="Plain">Every thread setting tried on the plain model.</param>
/// <param name="Alike">Every thread setting tried on the CAM-ready model as on the plain one.</param>
/// <param name="Serving">The CAM-ready model's served setting: as given (a running service's), else its own fastest.</param>
/// <param name="CamReady">Every thread setting tried on the CAM-ready model as served, when none was given.</param>
/// <param name="PlainMs">The plain model at its fastest setting, median of the interleaved runs.</param>
/// <param name="AlikeMs">The CAM-ready model at its fastest setting, as the plain one runs, same runs.</param>
/// <param name="CamReadyMs">The CAM-ready model at <paramref name="Serving"/>, as served, same runs.</param>
public sealed record ForwardComparison(string Model, int Runs, ThreadTuning Plain, ThreadTuning Alike, ThreadChoice Serving, ThreadTuning? CamReady,
    double PlainMs, double AlikeMs, double CamReadyMs)
{
    /// <summary>What the CAM-ready graph costs: its forward ÷ the plain forward, each at its fastest.</summary>
    public double Ratio => AlikeMs / PlainMs;

    /// <summary>The CAM-ready forward as served ÷ the plain forward at its fastest.</summary>
    public double ServedRatio => CamReadyMs / PlainMs;
}

/// <summary>Times plain and CAM-ready models: thread sweeps, then the two fastest settings interleaved.</summary>
public static class ForwardBenchmark
{
    /// <summary>
    /// How long a benchmark waits before timing another session: ONNX Runtime's default pool goes on spinning
    /// after its run (2^20 pauses: about 35 ms on this project's 2-core AMD machine, measured with the process's
    /// CPU time in 10 ms windows), and a pool still spinning takes a core from the next session's run. A 20 ms
    /// pause let the plain session's pool spin into the first timed runs of efficientnet_b0's CAM-ready block
    /// (a 9 ms run).
    /// </summary>
    public static readonly TimeSpan SpinningStops = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Sweeps the plain and the CAM-ready model over <paramref name="candidates"/> (<paramref name="batch"/> images a run,
    /// one by default: the latency a request sees; more, the cost per image of batched work) with ONNX Runtime's own
    /// spinning behaviour — and the CAM-ready one as served, unless <paramref name="serving"/> says how it is, with
    /// <paramref name="settings"/>' — then runs the three at their settings <paramref name="runs"/> times each, in
    /// rotating blocks so that a noisy neighbour slows all alike. Between blocks it pauses, so that a spinning pool
    /// has stopped before another session runs; each block's first run is not counted.
    /// </summary>
    public static ForwardComparison Compare(string plainPath, string camReadyPath, ExecutionSettings settings, IReadOnlyList<ThreadChoice> candidates,
        int runs = 30, ThreadChoice? serving = null, int batch = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        var plainSettings = settings with { StopSpinningAfterRun = false };
        var plainProto = OnnxModelFile.Load(plainPath);
        var camProto = OnnxModelFile.Load(camReadyPath);
        using var plainBytes = SerializedModel.Of(plainProto);
        using var camBytes = SerializedModel.Of(camProto);
        var size = CamModelInfo.Read(camProto).Preprocessing?.Height ?? 224;

        var plainTuning = ThreadTuner.Measure(plainBytes, plainSettings, _ => PlainInputs(plainProto, size, batch), candidates);
        var alikeTuning = ThreadTuner.Measure(camBytes, plainSettings, _ => CamReadyModel.TimingInputs(camProto, batch), candidates);
        var camTuning = serving is null ? ThreadTuner.Measure(camBytes, settings, _ => CamReadyModel.TimingInputs(camProto, batch), candidates) : null;
        var servingChoice = serving ?? camTuning!.Fastest.Choice;

        using var plain = new TimedSession(SessionFactory.Create(plainBytes, plainTuning.Quickest.Choice.Apply(plainSettings)).Session, PlainInputs(plainProto, size, batch));
        using var alike = new TimedSession(SessionFactory.Create(camBytes, alikeTuning.Quickest.Choice.Apply(plainSettings)).Session, CamReadyModel.TimingInputs(camProto, batch));
        using var served = new TimedSession(SessionFactory.Create(camBytes, servingChoice.Apply(settings)).Session, CamReadyModel.TimingInputs(camProto, batch));
        TimedSession[] sessions = [plain, alike, served];

        const int block = 5;
        for (var i = 0; plain.Times.Count < runs; i++)
        {
            // Each in turn first, so that a noisy neighbour slows all alike.
            foreach (var session in sessions.Skip(i % 3).Concat(sessions.Take(i % 3)))
            {
                Thread.Sleep(SpinningStops);
                session.Run();
                for (var k = 0; k < block && session.Times.Count < runs; k++)
                {
                    session.Times.Add(session.Run());
                }
            }
        }
        return new ForwardComparison(Path.GetFileNameWithoutExtension(camReadyPath), runs, plainTuning, alikeTuning, servingChoice, camTuning,
            ThreadTuner.Median(plain.Times), ThreadTuner.Median(alike.Times), ThreadTuner.Median(served.Times));
    }

    /// <summary>A session and its inputs, fetching every output, timed run by run.</summary>
    sealed class TimedSession(InferenceSession session, NamedOrtValues inputs) : IDisposable
    {
        readonly RunOptions options = new();
        readonly string[] outputs = session.OutputNames.ToArray();

        public List<double> Times { get; } = [];

        public double Run()
        {
            var clock = Stopwatch.StartNew();
            using var results = session.Run(options, inputs.Names, inputs.Values, outputs);
            return clock.Elapsed.TotalMilliseconds;
        }

        public void Dispose()
        {
            options.Dispose();
            inputs.Dispose();
            session.Dispose();
        }
    }

    /// <summary>An input of uniform noise in [−1, 1) for a plain classifier: <paramref name="batch"/> images, <paramref name="size"/> pixels a side.</summary>
    public static NamedOrtValues PlainInputs(ModelProto plain, int size, int batch = 1)
    {
        var input = new GraphIndex(plain).DataInputs.Single();
        var shape = ShapeProbe.ProbeShape(input, size);
        shape[0] = batch;
        var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
        var random = new Random(3);
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (float)(random.NextDouble() * 2 - 1);
        }
        return new NamedOrtValues([input.Name], [OrtValue.CreateTensorValueFromMemory(data, shape)]);
    }
}
