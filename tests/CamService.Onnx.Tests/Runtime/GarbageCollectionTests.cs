using CamService.Inference.Runtime;
using CamService.Inference.Verification;
using CamService.Onnx.CamReady;
using CamService.Onnx.Tests.Gradients;
using CamService.Onnx.Tests.Support;
using CamService.Testing;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using static CamService.Onnx.Graph.Attributes;

namespace CamService.Onnx.Tests.Runtime;

/// <summary>
/// ONNX Runtime's managed API hands only native handles to a run, so an ORT object that nothing
/// else refers to (a RunOptions made inline in the call, say) can be finalized by a garbage
/// collection while the run is still in native code: a use-after-free that once crashed this test
/// host in CI. Every place that runs ONNX Runtime is run here while another thread collects
/// garbage without pause. The assembly runs without tiered compilation (see the project file), so
/// lifetimes are as short as the optimizing JIT makes them in production from the first call.
/// </summary>
public sealed class GarbageCollectionTests
{
    const int Size = 64;
    const int Repeats = 12;

    [Fact]
    public void Prepare_ProbesShapes_WhileGarbageIsCollected()
    {
        var plain = Classifier();

        UnderCollections(() => new CamReadyBuilder().Prepare(plain));
    }

    [Fact]
    public void Verify_RunsModelAndHead_WhileGarbageIsCollected()
    {
        var camReady = new CamReadyBuilder().Prepare(Classifier()).Model;

        UnderCollections(() =>
        {
            var report = GradientVerifier.Verify(camReady, new VerifyOptions { Directions = 1, ImageSize = Size });
            Assert.True(report.Passed, $"worst relative error {report.WorstRelativeError:E2}: {string.Join("; ", report.Checks)}");
        });
    }

    [Fact]
    public void CamReadyModel_Runs_WhileGarbageIsCollected()
    {
        using var model = CamReadyModel.Create(new CamReadyBuilder().Prepare(Classifier()).Model, new ExecutionSettings { IntraOpThreads = 1 });
        var images = new float[3 * Size * Size];

        UnderCollections(() =>
        {
            using var outputs = model.Run(images, 1, new long[] { -1 }, 1);
            Assert.Equal(SmallClassifiers.Classes, outputs.Classes);
        });
    }

    /// <summary>Runs <paramref name="action"/> repeatedly while another thread collects and finalizes.</summary>
    static void UnderCollections(Action action)
    {
        using var stop = new CancellationTokenSource();
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        });
        collector.Start();
        try
        {
            for (var i = 0; i < Repeats; i++)
            {
                action();
            }
        }
        finally
        {
            stop.Cancel();
            collector.Join();
        }
    }

    /// <summary>
    /// image [N, 3, 64, 64] → Conv → Tanh → Conv → Tanh → pooled head: big enough that a run spends
    /// milliseconds in native code, where a collection can meet it.
    /// </summary>
    static ModelProto Classifier()
    {
        var g = new TestGraph();
        var image = g.Input("image", 1, 3, Size, Size);
        var first = g.Node("Tanh", [g.Node("Conv", [image, g.Random([32, 3, 3, 3], -0.3f, 0.3f), g.Random([32])], Ints("pads", [1, 1, 1, 1]))]);
        var second = g.Node("Tanh", [g.Node("Conv", [first, g.Random([32, 32, 3, 3], -0.1f, 0.1f), g.Random([32])], Ints("pads", [1, 1, 1, 1]))]);
        return g.Output(SmallClassifiers.PooledHead(g, second, 32)).Build();
    }
}
