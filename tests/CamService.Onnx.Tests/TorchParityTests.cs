using CamService.Testing;
using System.Collections.Concurrent;
using CamService.Inference.Methods;
using CamService.Inference.Runtime;
using CamService.Inference.Verification;
using CamService.Onnx.CamReady;
using CamService.Onnx.Model;
using CamService.Onnx.Tests.Support;

namespace CamService.Onnx.Tests;

/// <summary>
/// Exports torchvision resnet50, efficientnet_b0 and densenet121 with random weights (Debian's
/// python3-torch), makes them CAM-ready, and compares what ONNX Runtime returns with torch
/// autograd on the same weights and input: at the automatic target layer, and at a deeper layer
/// whose gradient path runs through convolutions, batch norms, concatenations and residual sums.
/// </summary>
public sealed class TorchExports : IDisposable
{
    /// <summary>The test classes that share one export: it takes minutes, so it is made once for all of them.</summary>
    public const string Collection = "Torch exports";

    const int Seed = 0;
    readonly TemporaryDirectory directory = new("camservice-torch");
    readonly Lazy<string> models;
    readonly ConcurrentDictionary<(string, string), Lazy<string>> references = new();

    public TorchExports()
    {
        models = new Lazy<string>(() =>
        {
            var output = Path.Combine(directory.Path, "models");
            Repository.Run(Repository.Python,
                [Path.Combine(Repository.Root, "onnx", "export.py"), "resnet50", "efficientnet_b0", "densenet121",
                 "--weights", "random", "--seed", Seed.ToString(), "--out-dir", output],
                new Dictionary<string, string> { ["CAMSERVICE_CLI"] = $"dotnet {Programs.CliDll}" });
            return output;
        });
    }

    /// <summary>The folder with NAME.onnx (CAM-ready) and plain/NAME.onnx.</summary>
    public string Models => models.Value;

    /// <summary>The folder of .npy files torch_reference.py wrote for an architecture and layer.</summary>
    public string Reference(string arch, string layer) => references.GetOrAdd((arch, layer), key => new Lazy<string>(() =>
    {
        var output = Path.Combine(directory.Path, "reference", $"{arch}-{layer}");
        Repository.Run(Repository.Python,
            [Path.Combine(Repository.Root, "tests", "python", "torch_reference.py"), "--arch", arch, "--seed", Seed.ToString(),
             "--layer", layer, "--onnx", Path.Combine(Models, "plain", $"{arch}.onnx"), "--out", output]);
        return output;
    })).Value;

    public void Dispose() => directory.Dispose();
}

[CollectionDefinition(TorchExports.Collection)]
public sealed class TorchExportsCollection : ICollectionFixture<TorchExports>;

[Collection(TorchExports.Collection)]
public sealed class TorchParityTests(TorchExports exports)
{
    public static TheoryData<string, string> Layers => new()
    {
        { "resnet50", "auto" },
        { "resnet50", "layer4.1" },
        { "efficientnet_b0", "auto" },
        { "efficientnet_b0", "features.7" },
        { "densenet121", "auto" },
        { "densenet121", "features.denseblock4.denselayer15" },
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public void Gradients_MatchTorchAutograd(string arch, string layer)
    {
        var reference = exports.Reference(arch, layer);
        using var model = Load(arch, layer, reference);
        var input = Npy.Read(Path.Combine(reference, "input.npy"));
        var targets = Npy.Read(Path.Combine(reference, "targets.npy"));
        var chosen = Npy.Read(Path.Combine(reference, "chosen.npy")).Longs!;

        using var outputs = model.Run(input.Floats!, 2, targets.Longs!, 2);

        Compare.Close(outputs.Logits, Npy.Read(Path.Combine(reference, "logits.npy")).Floats, 1e-4, "logits");
        Compare.Close(outputs.Activations, Npy.Read(Path.Combine(reference, "activations.npy")).Floats, 1e-4, "activations");
        Compare.Close(outputs.Gradients, Npy.Read(Path.Combine(reference, "gradients.npy")).Floats, 1e-4, "gradients");
        for (var n = 0; n < 2; n++)
        {
            var top1 = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(outputs.LogitsOf(n));
            Assert.Equal(chosen[2 * n + (n == 0 ? 0 : 1)], top1);
        }
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void GradCamMaps_CorrelateWithTorchReference(string arch, string layer)
    {
        var reference = exports.Reference(arch, layer);
        using var model = Load(arch, layer, reference);
        var input = Npy.Read(Path.Combine(reference, "input.npy"));
        var targets = Npy.Read(Path.Combine(reference, "targets.npy"));
        var expected = Npy.Read(Path.Combine(reference, "gradcam.npy"));
        using var outputs = model.Run(input.Floats!, 2, targets.Longs!, 2);

        var positions = outputs.Height * outputs.Width;
        var map = new float[positions];
        for (var n = 0; n < 2; n++)
        {
            for (var t = 0; t < 2; t++)
            {
                new GradCam().Compute(new CamContext(outputs.ActivationsOf(n), outputs.GradientsOf(n, t), outputs.Channels, outputs.Height, outputs.Width, 0, outputs.LogitsOf(n), default), map);
                var torch = expected.Floats.AsSpan((n * 2 + t) * positions, positions);
                var correlation = Compare.Correlation(map, torch);
                Assert.True(correlation >= 0.9999, $"{arch} {layer} image {n} target {t}: correlation {correlation:F6}");
            }
        }
    }

    CamReadyModel Load(string arch, string layer, string reference)
    {
        if (layer == "auto")
        {
            return CamReadyModel.Load(Path.Combine(exports.Models, $"{arch}.onnx"), new ExecutionSettings());
        }
        var tensor = File.ReadAllText(Path.Combine(reference, "layer.txt")).Trim();
        var plain = OnnxModelFile.Load(Path.Combine(exports.Models, "plain", $"{arch}.onnx"));
        var result = new CamReadyBuilder().Prepare(plain, new PrepareOptions { TargetLayer = tensor });
        return CamReadyModel.Create(result.Model, new ExecutionSettings());
    }
}
