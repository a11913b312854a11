using CamService.Testing;
using System.Collections.Concurrent;
using CamService.Inference.Explanations;
using CamService.Inference.Methods;
using CamService.Inference.Runtime;
using CamService.Inference.Verification;
using CamService.Onnx.Tests.Support;

namespace CamService.Onnx.Tests;

/// <summary>The maps tests/python/torch_perturbation_reference.py computes in torch, one folder per architecture.</summary>
public sealed class PerturbationReferences : IDisposable
{
    /// <summary>Score-CAM's channels in the reference: few, for torch's CPU time.</summary>
    public const int ScoreCamChannels = 16;

    const int Seed = 0;
    readonly TemporaryDirectory directory = new("camservice-perturbation");
    readonly ConcurrentDictionary<string, Lazy<string>> references = new();

    public string Of(string arch) => references.GetOrAdd(arch, key => new Lazy<string>(() =>
    {
        var output = Path.Combine(directory.Path, key);
        Repository.Run(Repository.Python,
            [Path.Combine(Repository.Root, "tests", "python", "torch_perturbation_reference.py"), "--arch", key, "--seed", Seed.ToString(),
             "--channels", ScoreCamChannels.ToString(), "--out", output]);
        return output;
    })).Value;

    public void Dispose() => directory.Dispose();
}

/// <summary>
/// Ablation-CAM and Score-CAM against their formulas computed in torch on the same random weights and input
/// (the models <see cref="TorchExports"/> exports): Ablation-CAM by zeroing each channel and rerunning the
/// head in torch, Score-CAM by whole forward passes on the masked input.
/// </summary>
[Collection(TorchExports.Collection)]
public sealed class PerturbationParityTests(TorchExports exports, PerturbationReferences references)
    : IClassFixture<PerturbationReferences>
{
    public static TheoryData<string> Architectures => ["efficientnet_b0", "densenet121", "resnet50"];

    /// <summary>Both ways: the closed form from the gradients (all three heads are linear) and the head rerun per channel.</summary>
    [Theory]
    [MemberData(nameof(Architectures))]
    public void AblationCam_BothWays_MatchesTorch(string arch)
    {
        using var model = CamReadyModel.Load(Path.Combine(exports.Models, $"{arch}.onnx"), new ExecutionSettings());
        Assert.True(model.HeadIsLinear, $"{arch}'s head should be affine in the activations.");
        foreach (var closedForm in new[] { true, false })
        {
            AssertMatches(model, arch, new AblationCam(), "ablationcam", MethodOptions.Default with { AblationClosedForm = closedForm });
        }
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void ScoreCam_TopChannels_MatchesTorch(string arch)
    {
        using var model = CamReadyModel.Load(Path.Combine(exports.Models, $"{arch}.onnx"), new ExecutionSettings());
        AssertMatches(model, arch, new ScoreCam(), "scorecam", MethodOptions.Default with { ScoreCamChannels = PerturbationReferences.ScoreCamChannels });
    }

    void AssertMatches(CamReadyModel model, string arch, CamMethod method, string reference, MethodOptions options)
    {
        var folder = references.Of(arch);
        var input = Npy.Read(Path.Combine(folder, "input.npy")).Floats!;
        var targets = Npy.Read(Path.Combine(folder, "targets.npy")).Longs!;
        var chosen = Npy.Read(Path.Combine(folder, "chosen.npy")).Longs!;
        var expected = Npy.Read(Path.Combine(folder, $"{reference}.npy")).Floats!;
        var imageLength = model.ImageLength;
        for (var n = 0; n < 2; n++)
        {
            ExplanationTarget[] asked = [.. targets.Skip(2 * n).Take(2).Select(t => t < 0 ? ExplanationTarget.TopOne : new ExplanationTarget((int)t, null))];
            var result = CamEngine.Explain(model, arch, input.AsMemory(n * imageLength, imageLength), 1, asked, [method],
                new ExplainSettings { Methods = options })[0];
            for (var t = 0; t < 2; t++)
            {
                var map = result.Maps[t];
                Assert.Equal(chosen[2 * n + t], map.Target.Index);
                var positions = map.Map.Data.Length;
                var torch = expected.AsSpan((2 * n + t) * positions, positions);
                var what = $"{arch} {method.Name} ({options}) image {n} target {t}";
                var correlation = Compare.Correlation(map.Map.Data, torch);
                Assert.True(correlation >= 0.999, $"{what}: correlation {correlation:F6}");
                Assert.Equal(System.Numerics.Tensors.TensorPrimitives.IndexOfMax(torch), System.Numerics.Tensors.TensorPrimitives.IndexOfMax(map.Map.Data));
            }
        }
    }
}
