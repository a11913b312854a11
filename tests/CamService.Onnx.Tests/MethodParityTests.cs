using CamService.Testing;
using System.Numerics.Tensors;
using CamService.Inference.Explanations;
using CamService.Inference.Methods;
using CamService.Inference.Runtime;
using CamService.Inference.Verification;
using CamService.Onnx.Tests.Support;
using Xunit.Abstractions;

namespace CamService.Onnx.Tests;

/// <summary>
/// Every one-pass method, run by <see cref="CamEngine"/> on the three default architectures, against its
/// formula computed in torch from autograd's activations and gradients (tests/python/torch_reference.py):
/// maps, not pictures, must correlate at 0.999 and peak at the same position.
/// </summary>
[Collection(TorchExports.Collection)]
public sealed class MethodParityTests(TorchExports exports, ITestOutputHelper output)
{
    public static TheoryData<string, string> Cases
    {
        get
        {
            var cases = new TheoryData<string, string>();
            foreach (var method in CamMethods.Default.All.Where(m => m.Cost == CostClass.OnePass))
            {
                foreach (var arch in (string[])["resnet50", "efficientnet_b0", "densenet121"])
                {
                    cases.Add(method.Name, arch);
                }
            }
            return cases;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Maps_MatchTheFormulaOnTorchAutograd(string method, string arch)
    {
        var reference = exports.Reference(arch, "auto");
        using var model = CamReadyModel.Load(Path.Combine(exports.Models, $"{arch}.onnx"), new ExecutionSettings());
        var input = Npy.Read(Path.Combine(reference, "input.npy")).Floats!;
        var targets = Npy.Read(Path.Combine(reference, "targets.npy")).Longs!;
        var chosen = Npy.Read(Path.Combine(reference, "chosen.npy")).Longs!;
        var expected = Npy.Read(Path.Combine(reference, $"{method}.npy")).Floats!;
        var imageLength = input.Length / 2;

        for (var n = 0; n < 2; n++)
        {
            // Each image with its own targets, -1 meaning its top-1, as the reference chose them.
            var imageTargets = targets.Skip(2 * n).Take(2).Select(t => t < 0 ? ExplanationTarget.TopOne : new ExplanationTarget((int)t, null)).ToList();
            var maps = CamEngine.Explain(model, arch, input.AsMemory(n * imageLength, imageLength), 1, imageTargets, [CamMethods.Default.Find(method)!])[0].Maps;
            for (var t = 0; t < 2; t++)
            {
                var map = maps[t].Map.Data;
                var torch = expected.AsSpan((2 * n + t) * map.Length, map.Length);
                var where = $"{method} on {arch}, image {n}, target {chosen[2 * n + t]}";
                Assert.Equal(chosen[2 * n + t], maps[t].Target.Index);
                var correlation = Compare.Correlation(map, torch);
                output.WriteLine($"{where}: correlation {correlation:F6}, {maps[t].CamMs:F2} ms");
                Assert.True(correlation >= 0.999, $"{where}: correlation {correlation:F6}");
                Assert.True(TensorPrimitives.IndexOfMax(map) == TensorPrimitives.IndexOfMax(torch),
                    $"{where}: peak at {TensorPrimitives.IndexOfMax(map)}, torch's at {TensorPrimitives.IndexOfMax(torch)}");
            }
        }
    }
}
