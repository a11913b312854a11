using CamService.Inference.Explanations;
using CamService.Inference.Methods;
using CamService.Inference.Runtime;
using CamService.Inference.Verification;
using CamService.Onnx.CamReady;
using CamService.Onnx.Graph;
using CamService.Onnx.Model;
using CamService.Onnx.Tests.CamReady;
using CamService.Onnx.Tests.Support;
using CamService.Testing;

namespace CamService.Onnx.Tests;

/// <summary>
/// Plain exports of ViT, Swin, Swin V2, ConvNeXt and MaxViT (torchvision's classes, small: <see cref="TinyTransformers"/>), made
/// CAM-ready with no options: the target layer each family is explained at, its grid, gradients against finite
/// differences and torch autograd at that layer, and every registered method on them.
/// </summary>
public sealed class TransformerTests
{
    /// <summary>Per family: the layout and grid found, and where the layer is (a fragment of its tensor's name).</summary>
    public static TheoryData<string, TensorLayout, int, int, string> Layers => new()
    {
        // The last block's norm before attention: its 16 patches after the class token.
        { "vit", TensorLayout.Tokens, 4, 1, "encoder_layer_1/ln_1" },
        // The last block's norm before its (shifted) window attention, channels last.
        { "swin", TensorLayout.Nhwc, 8, 0, "features.3.1/norm1" },
        // Post-norm blocks: the residual sum entering the last block's attention.
        { "swinv2", TensorLayout.Nhwc, 8, 0, "features.3.0/Add_1" },
        // The feature map the global pooling takes, as for CNNs.
        { "convnext", TensorLayout.Nchw, 8, 0, "features.3.1/Add" },
        { "maxvit", TensorLayout.Nchw, 8, 0, "departition_op" },
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public void PlainExport_BecomesCamReady_AtTheFamilysLayer(string name, TensorLayout layout, int grid, int extraTokens, string layer)
    {
        var result = new CamReadyBuilder().Prepare(OnnxModelFile.Load(TinyTransformers.PlainPath(name)));

        Assert.Equal(layout, result.Target.Layout);
        Assert.Contains(layer, result.Target.Tensor);
        Assert.Equal([32, grid, grid], result.Info.ActivationShape);
        Assert.Equal(layout == TensorLayout.Tokens ? extraTokens : null, result.Info.ExtraTokens);
        Assert.Equal(layout, result.Info.TargetLayout);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Gradients_MatchFiniteDifferencesAndTorchAutograd(string name)
    {
        using var directory = new TemporaryDirectory("camservice-transformer");
        var camReadyPath = directory.File($"{name}.onnx");
        var camReady = new CamReadyBuilder().Prepare(OnnxModelFile.Load(TinyTransformers.PlainPath(name))).Model;
        OnnxModelFile.Save(camReady, camReadyPath);

        var verification = GradientVerifier.Verify(camReady);
        Assert.True(verification.Passed, $"{name}: finite differences off by {verification.WorstRelativeError:E2}");
        Assert.True(verification.InDoubles, $"{name}: the head ran in float32: {verification.FloatReason}");

        var reference = TinyTransformers.Reference(name, camReadyPath, directory.File("reference"));
        using var model = CamReadyModel.Create(camReady, new ExecutionSettings());
        var parity = TorchParity.Compare(model, reference);
        Assert.True(parity.LogitsError < 1e-4, $"{name}: logits off by {parity.LogitsError:E2}");
        Assert.True(parity.ActivationsError < 1e-4, $"{name}: activations off by {parity.ActivationsError:E2}");
        Assert.True(parity.GradientsError < 1e-4, $"{name}: gradients off by {parity.GradientsError:E2}");
        Assert.True(parity.GradCamCorrelation >= 0.9999, $"{name}: Grad-CAM correlation {parity.GradCamCorrelation:F6}");
        Assert.True(parity.Top1Agrees, $"{name}: the top-1 class differs from torch's");
    }

    /// <summary>
    /// ViT's scores read the class token alone: the CAM-ready head runs the last block's MLP on that token (a [N, C] input, not
    /// [N, T, C]) and still computes the plain model's logits.
    /// </summary>
    [Fact]
    public void Vit_HeadComputesTheClassTokenOnly_AndTheSameLogits()
    {
        var plain = OnnxModelFile.Load(TinyTransformers.PlainPath("vit"));
        var camReady = new CamReadyBuilder().Prepare(plain).Model;

        var mlp = camReady.Graph.Node.Last(n => n.OpType == "MatMul" && n.Name.Contains("mlp.0"));
        Assert.Equal(2, ShapeProbe.Run(new GraphIndex(camReady), [mlp.Input[0]], TinyTransformers.Size)[mlp.Input[0]].Length);

        long[] shape = [2, 3, TinyTransformers.Size, TinyTransformers.Size];
        var images = SmallClassifiers.RandomImage(shape, seed: 6);
        var expected = Ort.Run(plain, [(plain.Graph.Input[0].Name, images, shape)], plain.Graph.Output[0].Name)[0].Values;
        var actual = Ort.Run(camReady, [(plain.Graph.Input[0].Name, images, shape), ("targets", new long[] { -1, -1 }, [2, 1])], "logits")[0].Values;
        Compare.Close(actual, expected, 1e-5, "logits");
    }

    /// <summary>
    /// Every registered method on each family, two images and two targets: finite maps of the grid's size. A transformer's
    /// head reads its block's residual, so Ablation-CAM runs the head with each image's own (the general path).
    /// </summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void EveryMethod_ExplainsEachFamily(string name)
    {
        var camReady = new CamReadyBuilder().Prepare(OnnxModelFile.Load(TinyTransformers.PlainPath(name))).Model;
        using var model = CamReadyModel.Create(camReady, new ExecutionSettings());
        Assert.Null(model.HeadUnavailable);
        var images = SmallClassifiers.RandomImage([2, 3, TinyTransformers.Size, TinyTransformers.Size], seed: 5);
        var methods = CamMethods.Default.All.ToList();

        var explained = CamEngine.Explain(model, name, images, 2, [ExplanationTarget.TopOne, new ExplanationTarget(7, null)], methods,
            new ExplainSettings { Methods = new MethodOptions { ScoreCamChannels = 8 } });

        var (height, width) = (model.ActivationShape[1], model.ActivationShape[2]);
        Assert.All(explained, image =>
        {
            Assert.Equal(methods.Select(m => m.Name).SelectMany(m => new[] { m, m }), image.Maps.Select(m => m.Method));
            Assert.All(image.Maps, map =>
            {
                Assert.Equal((width, height), (map.Map.Width, map.Map.Height));
                Assert.All(map.Map.Data, value => Assert.True(float.IsFinite(value)));
            });
        });
    }

    public static TheoryData<string> Names => new(TinyTransformers.Names);
}
