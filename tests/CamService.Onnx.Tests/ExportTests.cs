using System.Globalization;
using System.Text.Json;
using CamService.Inference.Verification;
using CamService.Onnx.CamReady;
using CamService.Onnx.Model;
using CamService.Onnx.Tests.Support;
using CamService.Testing;
using Onnx;

namespace CamService.Onnx.Tests;

/// <summary>
/// onnx/export.py offline, with small models (seconds each): pretrained weights from a checkpoint
/// planted in torch.hub's cache and their published accuracy, the clear failure without one, random
/// weights without accuracy, forced external data, every torchvision family and preprocessing, and
/// the Swin V2 attention that torch 1.13 cannot export without export.py's symbolic for aten::zero.
/// </summary>
public sealed class ExportTests
{
    /// <summary>Where torch.hub looks for torchvision's squeezenet1_1 weights: the file name of their URL.</summary>
    const string SqueezeNetCheckpoint = "squeezenet1_1-b8a52dc0.pth";

    /// <summary>A bias value no initialisation produces: the export holds the planted weights when it holds this.</summary>
    const float PlantedBias = 0.125f;

    /// <summary>Generous for a few seconds' work, short of hanging a test run on a download.</summary>
    static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    static string ExportScript => Path.Combine(Repository.Root, "onnx", "export.py");

    /// <summary>
    /// Downloads fail at once, on any machine: through a proxy on the discard port, where nothing
    /// listens. A test that expects the planted checkpoint can then not pass by downloading.
    /// </summary>
    static Dictionary<string, string> Offline(string torchHome) => new()
    {
        ["TORCH_HOME"] = torchHome,
        ["https_proxy"] = "http://127.0.0.1:9",
        ["HTTPS_PROXY"] = "http://127.0.0.1:9",
        ["http_proxy"] = "http://127.0.0.1:9",
        ["HTTP_PROXY"] = "http://127.0.0.1:9",
        ["no_proxy"] = "",
        ["NO_PROXY"] = "",
    };

    [Fact]
    public void Pretrained_UsesThePlantedCheckpoint_AndRecordsPublishedAccuracy()
    {
        using var directory = new TemporaryDirectory("camservice-export");
        var torchHome = directory.File("torch");
        var checkpoint = Path.Combine(torchHome, "hub", "checkpoints", SqueezeNetCheckpoint);
        Directory.CreateDirectory(Path.GetDirectoryName(checkpoint)!);
        Python(null,
            """
            import sys, torch, torchvision
            torch.manual_seed(1234)
            state = torchvision.models.squeezenet1_1(weights=None).state_dict()
            state["classifier.1.bias"].fill_(float(sys.argv[2]))
            torch.save(state, sys.argv[1])
            """, checkpoint, PlantedBias.ToString(CultureInfo.InvariantCulture));

        var output = directory.File("out");
        var run = Export(Offline(torchHome), "squeezenet1_1", "--weights", "pretrained", "--plain-only", "--out-dir", output).Expect(0);

        var model = OnnxModelFile.Load(Path.Combine(output, "plain", "squeezenet1_1.onnx"));
        var metadata = Metadata(model);
        Assert.Equal(WeightsKind.Pretrained, CamModelInfo.Read(model).Weights);
        Assert.Equal("pretrained", metadata["cam.weights"]);
        Assert.Equal("SqueezeNet1_1_Weights.IMAGENET1K_V1", metadata["cam.weights_name"]);
        // torchvision's published ImageNet-1K accuracy of these weights (SqueezeNet1_1_Weights.IMAGENET1K_V1.meta).
        Assert.Equal(58.178, double.Parse(metadata["cam.accuracy_top1"], CultureInfo.InvariantCulture));
        Assert.Equal(80.624, double.Parse(metadata["cam.accuracy_top5"], CultureInfo.InvariantCulture));
        Assert.DoesNotContain("warning", run.AllOutput, StringComparison.OrdinalIgnoreCase);

        var bias = model.Graph.Initializer.Single(t => t.Name == "classifier.1.bias");
        Assert.All(Floats(bias), value => Assert.Equal(PlantedBias, value));
    }

    [Fact]
    public void Pretrained_WithoutCheckpointOrFallback_FailsSayingWhereTheCheckpointGoes()
    {
        using var directory = new TemporaryDirectory("camservice-export");
        var torchHome = directory.File("torch");
        var output = directory.File("out");

        var run = Export(Offline(torchHome), "squeezenet1_1", "--weights", "pretrained", "--plain-only", "--out-dir", output).Expect(1);

        Assert.Contains("error: squeezenet1_1: could not download the pretrained weights SqueezeNet1_1_Weights.IMAGENET1K_V1", run.Errors);
        Assert.Contains(Path.Combine(torchHome, "hub", "checkpoints", SqueezeNetCheckpoint), run.Errors);
        Assert.Contains("--allow-random-fallback", run.Errors);
        Assert.False(File.Exists(Path.Combine(output, "plain", "squeezenet1_1.onnx")));
    }

    [Fact]
    public void RandomWeights_CarryNoPublishedAccuracy()
    {
        using var directory = new TemporaryDirectory("camservice-export");
        var output = directory.File("out");

        Export(Offline(directory.File("torch")), "squeezenet1_1", "--weights", "random", "--plain-only", "--out-dir", output).Expect(0);

        var model = OnnxModelFile.Load(Path.Combine(output, "plain", "squeezenet1_1.onnx"));
        var metadata = Metadata(model);
        Assert.Equal(WeightsKind.Random, CamModelInfo.Read(model).Weights);
        Assert.DoesNotContain("cam.accuracy_top1", metadata.Keys);
        Assert.DoesNotContain("cam.accuracy_top5", metadata.Keys);
        Assert.DoesNotContain("cam.weights_name", metadata.Keys);
        Assert.Equal("SqueezeNet", metadata["cam.family"]);
        Assert.Equal("224,224", metadata["cam.input_size"]);
        Assert.Equal("256", metadata["cam.resize_size"]);
    }

    [Fact]
    public void ExternalData_KeepsTheTensorsBesideTheModel_WhichStillLoads()
    {
        using var directory = new TemporaryDirectory("camservice-export");
        var output = directory.File("out");

        Export(Offline(directory.File("torch")), "squeezenet1_1", "--weights", "random", "--plain-only", "--external-data", "--out-dir", output).Expect(0);

        var path = Path.Combine(output, "plain", "squeezenet1_1.onnx");
        var data = path + ".data";
        Assert.True(File.Exists(data), $"{data} is missing");
        Assert.DoesNotContain(Directory.GetFiles(Path.GetDirectoryName(path)!), f => f != path && f != data);
        // As written: every tensor of 1 KiB or more refers to the data file; the model file keeps the graph, the small tensors, the metadata.
        var written = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        var external = written.Graph.Initializer.Where(t => t.DataLocation == TensorProto.Types.DataLocation.External).ToList();
        Assert.NotEmpty(external);
        Assert.All(external, t => Assert.Contains(t.ExternalData, e => e.Key == "location" && e.Value == "squeezenet1_1.onnx.data"));
        Assert.DoesNotContain(written.Graph.Initializer, t => t.RawData.Length >= 1024);
        Assert.True(new FileInfo(path).Length < 100_000, $"{path} holds {new FileInfo(path).Length} bytes");

        var model = OnnxModelFile.Load(path);
        Assert.Equal("1235496", Metadata(model)["cam.parameters"]);
        var logits = Ort.Run(model, [("input", new float[3 * 224 * 224], [1L, 3, 224, 224])], "logits").Single();
        Assert.Equal([1L, 1000], logits.Shape);
    }

    /// <summary>All of torchvision's classifiers: 22 families, and the preprocessing of each one's own weights.</summary>
    [Fact]
    public void EveryTorchvisionClassifier_HasItsFamily_AndItsWeightsPreprocessing()
    {
        var json = Python(Path.Combine(Repository.Root, "onnx"),
            """
            import json, torchvision, export
            print(json.dumps({arch: [export.family_of(arch), export.preprocessing_of(export.torchvision_weights(arch, None))]
                              for arch in torchvision.models.list_models(module=torchvision.models)}))
            """);
        var models = JsonDocument.Parse(json.Trim().Split('\n')[^1]).RootElement.EnumerateObject()
            .ToDictionary(p => p.Name, p => (Family: p.Value[0].GetString()!, Preprocessing: p.Value[1]));

        string[] families =
        [
            "AlexNet", "ConvNeXt", "DenseNet", "EfficientNet", "EfficientNetV2", "GoogLeNet", "Inception V3", "MaxViT",
            "MNASNet", "MobileNet V2", "MobileNet V3", "RegNetX", "RegNetY", "ResNet", "ResNeXt", "ShuffleNet V2",
            "SqueezeNet", "Swin", "Swin V2", "VGG", "ViT", "Wide ResNet",
        ];
        Assert.Equal(families.Order(StringComparer.Ordinal), models.Values.Select(m => m.Family).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal("EfficientNetV2", models["efficientnet_v2_s"].Family);
        Assert.Equal("EfficientNet", models["efficientnet_b0"].Family);
        Assert.Equal("Swin V2", models["swin_v2_t"].Family);
        Assert.Equal("Swin", models["swin_t"].Family);
        Assert.Equal("MaxViT", models["maxvit_t"].Family);
        Assert.Equal("ViT", models["vit_b_16"].Family);
        Assert.Equal("Wide ResNet", models["wide_resnet50_2"].Family);
        Assert.Equal("ResNeXt", models["resnext50_32x4d"].Family);
        Assert.Equal("RegNetY", models["regnet_y_400mf"].Family);

        // Each model's DEFAULT weights' transforms (torchvision 0.14): crop, resize, interpolation.
        void Expect(string arch, int crop, int resize, string interpolation)
        {
            var preprocessing = models[arch].Preprocessing;
            Assert.Equal((crop, resize, interpolation),
                (preprocessing.GetProperty("input_size").GetInt32(), preprocessing.GetProperty("resize_size").GetInt32(),
                 preprocessing.GetProperty("interpolation").GetString()!));
        }
        Expect("inception_v3", 299, 342, "bilinear");
        Expect("efficientnet_v2_s", 384, 384, "bilinear");
        Expect("efficientnet_b0", 224, 256, "bicubic");
        Expect("vit_b_16", 224, 256, "bilinear");
        Expect("vit_h_14", 518, 518, "bicubic");          // IMAGENET1K_SWAG_E2E_V1, its only end-to-end weights
        Expect("regnet_y_128gf", 384, 384, "bicubic");    // likewise SWAG
        Expect("regnet_y_16gf", 224, 232, "bilinear");    // DEFAULT is IMAGENET1K_V2, not SWAG
        Expect("swin_v2_t", 256, 260, "bicubic");
        Expect("maxvit_t", 224, 224, "bicubic");
        Expect("resnet50", 224, 232, "bilinear");
        Assert.Equal([0.5, 0.5, 0.5], models["efficientnet_v2_l"].Preprocessing.GetProperty("mean").EnumerateArray().Select(v => v.GetDouble()));
    }

    /// <summary>
    /// Swin V2's shifted-window attention exports (torch 1.13 lacks aten::zero; export.py adds it) and
    /// ONNX Runtime computes torch's logits. A two-stage Swin V2 small enough for seconds keeps every
    /// operator of swin_v2_t: the zeroed key bias, cosine attention, shifted windows, patch merging.
    /// </summary>
    [Fact]
    public void SwinV2Attention_Exports_AndOnnxRuntimeMatchesTorch()
    {
        using var directory = new TemporaryDirectory("camservice-export");
        Python(Path.Combine(Repository.Root, "onnx"),
            """
            import sys, numpy, torch, export
            from functools import partial
            from pathlib import Path
            from torchvision.models.swin_transformer import SwinTransformer, SwinTransformerBlockV2, PatchMergingV2
            out = Path(sys.argv[1])
            torch.manual_seed(0)
            module = SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[2, 4], window_size=[4, 4],
                                     block=SwinTransformerBlockV2, downsample_layer=PatchMergingV2, num_classes=10).eval()
            classifier = export.Classifier(name="swin_v2_small", module=module, family="Swin V2", weights="random",
                                           weights_source="test", labels=[str(i) for i in range(10)], input_size=64, resize_size=64)
            export.export_plain(classifier, out / "model.onnx", 17)
            image = torch.randn(2, 3, 64, 64)
            with torch.no_grad():
                logits = module(image)
            numpy.save(out / "input.npy", image.numpy())
            numpy.save(out / "logits.npy", logits.numpy())
            """, directory.Path);

        var model = OnnxModelFile.Load(directory.File("model.onnx"));
        var input = Npy.Read(directory.File("input.npy"));
        var expected = Npy.Read(directory.File("logits.npy")).Floats!;
        var logits = Ort.Run(model, [("input", input.Floats!, input.Shape)], "logits").Single();

        Assert.Equal([2L, 10], logits.Shape);
        var difference = logits.Values.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(difference < 1e-4, $"max |ONNX Runtime − torch| = {difference:E3}");
    }

    static ProgramRun Export(IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        Programs.Run(Repository.Python, arguments.Prepend(ExportScript), environment, Limit);

    /// <summary>Runs a Python snippet (with <paramref name="path"/> importable, if given); its standard output.</summary>
    static string Python(string? path, string code, params string[] arguments)
    {
        var environment = path is null ? null : new Dictionary<string, string> { ["PYTHONPATH"] = path };
        var run = Programs.Run(Repository.Python, arguments.Prepend(code).Prepend("-c"), environment, Limit).Expect(0);
        return run.Output;
    }

    static Dictionary<string, string> Metadata(ModelProto model) =>
        model.MetadataProps.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value);

    static float[] Floats(TensorProto tensor) =>
        tensor.RawData.Length > 0 ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray() : tensor.FloatData.ToArray();
}
