using CamService.Inference.Runtime;
using CamService.Inference.Verification;
using CamService.Onnx.CamReady;
using CamService.Onnx.Gradients;
using CamService.Onnx.Graph;
using CamService.Onnx.Model;
using CamService.Onnx.Tests.Gradients;
using CamService.Onnx.Tests.Support;
using CamService.Testing;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using static CamService.Onnx.Graph.Attributes;
using static CamService.Testing.SmallClassifiers;

namespace CamService.Onnx.Tests.CamReady;

/// <summary>What <see cref="CamReadyBuilder.Prepare"/> does with whole models: heads, formats, opsets, names and errors.</summary>
public sealed class CamReadyBuilderTests
{
    static readonly long[] ImageShape = [2, 3, Height, Width];

    /// <summary>[N = 2, T = 3]; negative means the image's top-1 class.</summary>
    static readonly long[] Targets = [.. GradientRuleTests.Targets[0], .. GradientRuleTests.Targets[1]];

    [Theory]
    [InlineData("Softmax")]
    [InlineData("LogSoftmax")]
    public void Prepare_TakesLogitsBeforeTheFinalSoftmax(string softmax)
    {
        var g = new TestGraph();
        var x = new FeatureMap(g.Input("x", ImageShape), 3, Height, Width);
        var scores = PooledHead(g, g.Node("Tanh", [x]), x.K);
        var plain = g.Output(g.Node(softmax, [scores], Int("axis", 1))).Build();

        var result = new CamReadyBuilder().Prepare(plain, new PrepareOptions { TargetLayer = x });

        Assert.Equal(scores, result.Info.Logits);
        Assert.DoesNotContain(result.Model.Graph.Node, n => n.OpType == softmax);
        AssertMatchesFiniteDifferences(plain, result, x, scores);
    }

    [Fact]
    public void Prepare_Caffe2StyleModel_InitializersListedAsInputs()
    {
        // IR 3 and opset 9, as Caffe2 and old exporters wrote them: SqueezeNet's head.
        var g = new TestGraph(opset: 9, irVersion: 3) { InitializersAsInputs = true };
        var image = g.Input("data", ImageShape);
        var features = g.Node("Relu", [g.Node("Conv", [image, g.Random([4, 3, 3, 3]), g.Random([4])], Ints("pads", [1, 1, 1, 1]))]);
        var classifier = g.Node("Conv", [g.Node("GlobalAveragePool", [features]), g.Random([Classes, 4, 1, 1]), g.Random([Classes])]);
        var scores = g.Node("Flatten", [classifier]);
        var plain = g.Output(g.Node("Softmax", [scores])).Build();
        Assert.Contains(plain.Graph.Input, i => i.Name == plain.Graph.Initializer[0].Name);

        var result = new CamReadyBuilder().Prepare(plain);

        Assert.Equal(features, result.Target.Tensor);
        using (var model = CamReadyModel.Create(result.Model, new ExecutionSettings()))
        {
            var images = RandomImage(ImageShape, seed: 3);
            using var outputs = model.Run(images, 2, Targets, 3);
            Assert.Equal([4, Height, Width], [outputs.Channels, outputs.Height, outputs.Width]);
            var expected = Ort.Run(plain, [(image, images, ImageShape)], scores)[0];
            Compare.Close(outputs.Logits, expected.Values, 1e-6, "logits");
        }
        AssertVerifies(result.Model);
    }

    [Theory]
    [InlineData("Softsign")]
    [InlineData("Mod")]
    [InlineData("ScatterND")]
    public void Prepare_UnsupportedOperatorOnThePath_NamesOpNodeAndTensor(string opType)
    {
        var g = new TestGraph(opset: 13);
        var x = new FeatureMap(g.Input("x", ImageShape), 3, Height, Width);
        var unsupported = opType switch
        {
            "Mod" => g.Node("Mod", [x, g.Scalar(0.7f)], Int("fmod", 1)),
            "ScatterND" => g.Node("ScatterND", [x, g.Node("Constant", [], Tensor("value", Tensors.Int64("index", [1, 1], [0]))),
                g.Node("Slice", [x, g.Ints(0), g.Ints(1), g.Ints(0)])]),
            _ => g.Node(opType, [x]),
        };
        var plain = g.Output(PooledHead(g, unsupported, x.K)).Build();

        var error = Assert.Throws<GradientException>(() => new CamReadyBuilder().Prepare(plain, new PrepareOptions { TargetLayer = x }));

        var node = plain.Graph.Node.Single(n => n.OpType == opType).Name;
        Assert.Contains($"{opType} node '{node}' with respect to 'x'", error.Message);
    }

    public static TheoryData<string, int, string> UnsupportedUses => new()
    {
        { "MaxPool", 13, "windows overlap" },
        { "AveragePool", 17, "ceil_mode" },
        { "Dropout", 13, "training mode" },
        { "BatchNormalization", 15, "training mode" },
        { "Conv", 17, "input 1 depends on the target layer" },
        { "MatMul", 17, "one-dimensional MatMul operands are not supported" },
    };

    /// <summary>Supported operators used in a way their rule cannot differentiate fail loudly, never silently wrong.</summary>
    [Theory]
    [MemberData(nameof(UnsupportedUses))]
    public void Prepare_UnsupportedUseOfASupportedOperator_FailsClearly(string opType, int opset, string reason)
    {
        var g = new TestGraph(opset);
        var x = new FeatureMap(g.Input("x", [2, 4, Height, Width]), 4, Height, Width);
        var y = opType switch
        {
            "MaxPool" => g.Node("MaxPool", [x], Ints("kernel_shape", [3, 3]), Ints("strides", [2, 2]), Ints("pads", [1, 1, 1, 1])),
            "AveragePool" => g.Node("AveragePool", [x], Ints("kernel_shape", [2, 2]), Ints("strides", [2, 2]), Int("ceil_mode", 1)),
            "Dropout" => g.Node("Dropout", [x, g.Scalar(0.5f), g.Bool(true)]),
            "BatchNormalization" => g.Nodes("BatchNormalization", [x, g.Random([4]), g.Random([4]), g.Random([4]), g.Random([4], 0.5f, 1.5f)],
                3, Int("training_mode", 1))[0],
            "MatMul" => g.Node("Unsqueeze", [g.Node("MatMul", [x, g.Random([Width])]), g.Ints(3)]),
            // Weights computed from the target itself (dynamic convolution).
            _ => g.Node("Conv", [x, g.Node("Mul", [g.Random([4, 4, 1, 1]), g.Node("ReduceMean", [x], Ints("axes", [0, 1, 2, 3]))])]),
        };
        var plain = g.Output(PooledHead(g, y, 4)).Build();

        var error = Assert.Throws<GradientException>(() => new CamReadyBuilder().Prepare(plain, new PrepareOptions { TargetLayer = x }));

        var node = plain.Graph.Node.First(n => n.OpType == opType).Name;
        Assert.Contains($"{opType} node '{node}'", error.Message);
        Assert.Contains(reason, error.Message);
    }

    /// <summary>
    /// The standard head's backward (pooling, Flatten, a classifier) is a handful of small nodes: the chosen rows
    /// of the classifier's weight gathered rather than the one-hot seed multiplied by all of it, the mean spread by
    /// one broadcast Mul that writes the gradients output itself (the swap of targets and images done on the small
    /// factor before it), and no shape arithmetic, whether the mean is GlobalAveragePool and Flatten or torch's
    /// x.mean([2, 3]) (ReduceMean without kept dims). The finite-difference check proves the values.
    /// </summary>
    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(false, true)]
    public void Prepare_PooledClassifierHead_GathersTheChosenRows_WithoutShapeArithmetic(bool gemm, bool reduceMean)
    {
        var g = new TestGraph(13);
        var x = new FeatureMap(g.Input("x", [2, 4, Height, Width]), 4, Height, Width);
        var pooled = reduceMean
            ? g.Node("ReduceMean", [x], Ints("axes", [2, 3]), Int("keepdims", 0))
            : g.Node("Flatten", [g.Node("GlobalAveragePool", [x])]);
        var scores = gemm
            ? Classifier(g, pooled, 4)
            : g.Node("Add", [g.Node("MatMul", [pooled, g.Random([4, Classes])]), g.Random([Classes])]);
        var plain = g.Output(scores).Build();

        var model = new CamReadyBuilder().Prepare(plain, new PrepareOptions { TargetLayer = x }).Model;

        var added = model.Graph.Node.Skip(plain.Graph.Node.Count).Select(n => n.OpType).ToList();
        Assert.Contains("Gather", added);
        Assert.DoesNotContain("MatMul", added);
        Assert.DoesNotContain("OneHot", added);
        Assert.Empty(added.Intersect(["Shape", "Size", "Expand", "Concat", "Cast"]));
        Assert.Equal("Mul", model.Graph.Node.Single(n => n.Output.Contains(CamReadyContract.Gradients)).OpType);
        long[] shape = [2, 4, Height, Width];
        var comparison = FiniteDifferences.Compare(plain, model, x, scores, RandomImage(shape, seed: 3), shape,
            [GradientRuleTests.Targets[0], GradientRuleTests.Targets[1]], GradientRuleTests.Step);
        Assert.True(comparison.GradientError <= GradientRuleTests.Tolerance, $"gradient error {comparison.GradientError:E2} at {comparison.Worst}");
    }

    [Fact]
    public void Prepare_TargetLayerTheScoresDoNotDependOn_FailsClearly()
    {
        var g = new TestGraph();
        var x = g.Input("x", [2, 4, Height, Width]);
        var sideBranch = g.Node("Tanh", [x]);
        var scores = PooledHead(g, g.Node("Sigmoid", [x]), 4);
        var plain = g.Output(scores).Output(sideBranch).Build();

        var error = Assert.Throws<GradientException>(() => new CamReadyBuilder().Prepare(plain, new PrepareOptions { TargetLayer = sideBranch }));
        Assert.Contains($"The scores '{scores}' do not depend on the target layer '{sideBranch}'", error.Message);
    }

    [Fact]
    public void Prepare_TargetLayerThatIsNotAFeatureMap_FailsClearly()
    {
        var g = new TestGraph();
        var x = new FeatureMap(g.Input("x", [2, 4, Height, Width]), 4, Height, Width);
        var features = g.Node("Flatten", [g.Node("GlobalAveragePool", [x])]);
        var plain = g.Output(Classifier(g, features, 4)).Build();

        var error = Assert.Throws<CamReadyException>(() => new CamReadyBuilder().Prepare(plain, new PrepareOptions { TargetLayer = features }));
        Assert.Contains($"The target layer '{features}' has shape [2, 4]; a NCHW feature map is 4-D.", error.Message);
    }

    [Fact]
    public void Prepare_ExternalData_LoadsPreparesAndRuns()
    {
        var (plain, image, scores) = SmallClassifier();
        using var directory = new TemporaryDirectory();
        var path = directory.File("plain.onnx");
        TestGraph.SaveWithExternalData(plain, path);
        Assert.All(ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph.Initializer, t => Assert.True(t.RawData.IsEmpty));

        var result = new CamReadyBuilder().Prepare(OnnxModelFile.Load(path));

        var images = RandomImage(ImageShape, seed: 5);
        var logits = Ort.Run(result.Model, [(image, images, ImageShape), (CamReadyContract.Targets, Targets, [2, 3])], CamReadyContract.Logits)[0];
        var expected = Ort.Run(plain, [(image, images, ImageShape)], scores)[0];
        Compare.Close(logits.Values, expected.Values, 1e-6, "logits of the model read from external data");
        AssertVerifies(result.Model);
    }

    /// <summary>One representative head in every opset whose emitted nodes differ (Unsqueeze, ReduceSum, Split, ScatterElements...).</summary>
    [Theory]
    [InlineData(9)]
    [InlineData(11)]
    [InlineData(13)]
    [InlineData(17)]
    [InlineData(21)]
    public void Prepare_RepresentativeHead_InEveryOpset(int opset)
    {
        var g = new TestGraph(opset);
        var x = new FeatureMap(g.Input("x", [2, 4, Height, Width]), 4, Height, Width);
        var conv = g.Node("Conv", [x, g.Random([4, 4, 3, 3]), g.Random([4])], Ints("pads", [1, 1, 1, 1]), Ints("strides", [2, 2]));
        var normalized = g.Node("BatchNormalization", [conv, g.Random([4]), g.Random([4]), g.Random([4]), g.Random([4], 0.5f, 1.5f)]);
        var silu = g.Node("Mul", [normalized, g.Node("Sigmoid", [normalized])]);
        var branches = g.Node("Concat", [silu, g.Node("Tanh", [silu])], Int("axis", 1));
        var excited = g.Node("Mul", [branches, g.Node("Sigmoid", [g.Node("GlobalAveragePool", [branches])])]);
        var scores = PooledHead(g, excited, 8);
        var plain = g.Output(g.Node("Softmax", [scores], Int("axis", 1))).Build();

        var result = new CamReadyBuilder().Prepare(plain, new PrepareOptions { TargetLayer = x });

        Assert.Equal(opset, (int)result.Model.OpsetImport.Single(o => o.Domain == "").Version);
        AssertMatchesFiniteDifferences(plain, result, x, scores);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Prepare_TensorFlowStyleNhwcHead_GivesNchwActivationsAndGradients(bool named)
    {
        var g = new TestGraph(opset: 13);
        var x = g.Input("x", [2, 4, Height, Width]);
        var nhwc = g.Node("Transpose", [x], Ints("perm", [0, 2, 3, 1]));
        var pooled = g.Node("ReduceMean", [nhwc], Ints("axes", [1, 2]), Int("keepdims", 0));
        var scores = g.Node("Add", [g.Node("MatMul", [pooled, g.Random([4, Classes])]), g.Random([Classes])]);
        var plain = g.Output(scores).Build();

        var options = named ? new PrepareOptions { TargetLayer = nhwc, TargetLayout = TensorLayout.Nhwc } : null;
        var result = new CamReadyBuilder().Prepare(plain, options);

        Assert.Equal((nhwc, TensorLayout.Nhwc), (result.Target.Tensor, result.Target.Layout));
        Assert.Equal(TensorLayout.Nhwc, result.Info.TargetLayout);
        Assert.Equal([4, Height, Width], result.Info.ActivationShape!);
        // activations = the NHWC target transposed back to NCHW = x, so x's finite differences apply.
        AssertMatchesFiniteDifferences(plain, result, x, scores);
    }

    [Fact]
    public void Prepare_NhwcImageInput_TensorFlowExport()
    {
        var (g, features, scores) = NhwcTensorFlowStyle(Classes);
        var plain = g.Output(g.Node("Softmax", [scores])).Build();

        var result = new CamReadyBuilder().Prepare(plain);

        Assert.Equal(TensorLayout.Nhwc, result.Info.Preprocessing!.Layout);
        Assert.Equal((features, TensorLayout.Nhwc), (result.Target.Tensor, result.Target.Layout));
        using (var model = CamReadyModel.Create(result.Model, new ExecutionSettings()))
        {
            using var outputs = model.Run(RandomImage([2, Height, Width, 3], seed: 9), 2, Targets, 3);
            Assert.Equal([4, Height, Width], [outputs.Channels, outputs.Height, outputs.Width]);
        }
        AssertVerifies(result.Model);
    }

    /// <summary>A target inside a residual block: the head also reads the skip connection, which the verifier feeds.</summary>
    [Fact]
    public void Prepare_TargetInsideAResidualBlock()
    {
        var g = new TestGraph();
        var image = g.Input("image", ImageShape);
        var stem = g.Node("Tanh", [g.Node("Conv", [image, g.Random([4, 3, 3, 3])], Ints("pads", [1, 1, 1, 1]))]);
        var block = g.Node("Tanh", [g.Node("Conv", [stem, g.Random([4, 4, 3, 3])], Ints("pads", [1, 1, 1, 1]))]);
        var scores = PooledHead(g, g.Node("Add", [block, stem]), 4);
        var plain = g.Output(scores).Build();

        var result = new CamReadyBuilder().Prepare(plain, new PrepareOptions { TargetLayer = block });

        Assert.Equal([stem], new HeadExtractor(result.Model).SideInputs);
        AssertVerifies(result.Model);
    }

    [Fact]
    public void Prepare_NamedOutput_ExplainsThatOutput()
    {
        var g = new TestGraph();
        var x = g.Input("x", [2, 4, Height, Width]);
        var auxiliary = PooledHead(g, x, 4);
        var features = g.Node("Tanh", [x]);
        var main = PooledHead(g, features, 4);
        var plain = g.Output(auxiliary).Output(main).Build();

        var result = new CamReadyBuilder().Prepare(plain, new PrepareOptions { Output = main });

        Assert.Equal((main, features), (result.Info.Logits, result.Target.Tensor));
        var missing = Assert.Throws<CamReadyException>(() => new CamReadyBuilder().Prepare(plain, new PrepareOptions { Output = "probabilities" }));
        Assert.Contains($"'probabilities' is not an output of the model; outputs: {auxiliary}, {main}.", missing.Message);
    }

    /// <summary>Source tensors that use the contract's names are renamed; the contract's outputs keep them.</summary>
    [Theory]
    [InlineData(CamReadyContract.Logits)]
    [InlineData(CamReadyContract.Gradients)]
    [InlineData(CamReadyContract.Activations)]
    [InlineData(CamReadyContract.Targets)]
    public void Prepare_SourceTensorWithAReservedName_StillWorks(string reserved)
    {
        var g = new TestGraph();
        var x = g.Input("x", [2, 4, Height, Width]);
        var features = g.Node("Tanh", [x]);
        var scores = PooledHead(g, features, 4);
        var plain = g.Output(scores).Build();
        // The scores, the target layer or the image input itself named like a contract tensor.
        var renamed = reserved switch
        {
            CamReadyContract.Logits => scores,
            CamReadyContract.Gradients => features,
            _ => x,
        };
        new GraphIndex(plain).RenameTensor(renamed, reserved);
        string Named(string tensor) => tensor == renamed ? reserved : tensor;

        var result = new CamReadyBuilder().Prepare(plain, new PrepareOptions { TargetLayer = Named(features) });

        Assert.Equal(Named(features), result.Target.Tensor);
        var input = result.Info.Input!;
        Assert.Contains(result.Model.Graph.Input, i => i.Name == input);
        Assert.Equal([input, CamReadyContract.Targets], result.Model.Graph.Input.Select(i => i.Name));
        Assert.Equal(CamReadyContract.ReservedNames.Skip(1), result.Model.Graph.Output.Select(o => o.Name));
        var images = RandomImage([2, 4, Height, Width], seed: 11);
        var logits = Ort.Run(result.Model, [(input, images, [2, 4, Height, Width]), (CamReadyContract.Targets, Targets, [2, 3])],
            CamReadyContract.Logits)[0];
        var expected = Ort.Run(plain, [(Named(x), images, [2, 4, Height, Width])], Named(scores))[0];
        Compare.Close(logits.Values, expected.Values, 1e-6, "logits");
        AssertVerifies(result.Model);
    }

    /// <summary>
    /// A model with a free image size gets a gradient built for one size (window geometry is probed):
    /// the size it is preprocessed to, here odd by even, where the output padding of a stride-2
    /// convolution differs between the axes.
    /// </summary>
    [Fact]
    public void Prepare_FreeImageSize_IsFixedToThePreprocessedSize()
    {
        var g = new TestGraph();
        var x = g.Input("x", [2, 4, -1, -1]);
        var conv = g.Node("Conv", [x, g.Random([4, 4, 3, 3])], Ints("pads", [1, 1, 1, 1]), Ints("strides", [2, 2]));
        var scores = PooledHead(g, conv, 4);
        var plain = g.Output(scores).Build();
        CamModelInfo.Set(plain, MetadataKeys.InputSize, "7,8");

        var result = new CamReadyBuilder().Prepare(plain, new PrepareOptions { TargetLayer = x });

        var dims = result.Model.Graph.Input.Single(i => i.Name == x).Type.TensorType.Shape.Dim;
        Assert.Equal(["N", "", "", ""], dims.Select(d => d.DimParam));
        Assert.Equal([0, 4, 7, 8], dims.Select(d => d.DimValue));
        Assert.Equal([4, 7, 8], result.Info.ActivationShape!);
        long[] shape = [2, 4, 7, 8];
        var comparison = FiniteDifferences.Compare(plain, result.Model, x, scores, RandomImage(shape, seed: 7), shape, GradientRuleTests.Targets[..2], GradientRuleTests.Step);
        Assert.True(comparison.GradientError <= GradientRuleTests.Tolerance, $"gradient error {comparison.GradientError:E2} at {comparison.Worst}");

        var otherSize = Assert.Throws<OnnxRuntimeException>(() =>
            Ort.Run(result.Model, [(x, RandomImage([2, 4, 8, 8], seed: 1), [2, 4, 8, 8]), (CamReadyContract.Targets, Targets, [2, 3])], CamReadyContract.Gradients));
        Assert.Contains("invalid dimensions", otherSize.Message);
    }

    [Fact]
    public void Prepare_AlreadyCamReady_IsRejected()
    {
        var (plain, _, _) = SmallClassifier();
        var prepared = new CamReadyBuilder().Prepare(plain).Model;

        var error = Assert.Throws<CamReadyException>(() => new CamReadyBuilder().Prepare(prepared));
        Assert.Contains("already CAM-ready", error.Message);
    }

    [Fact]
    public void Prepare_LabelsCountMismatch_IsRejected()
    {
        var (plain, _, _) = SmallClassifier();

        var error = Assert.Throws<CamReadyException>(() => new CamReadyBuilder().Prepare(plain, new PrepareOptions { Labels = ["cat", "dog", "fish"] }));
        Assert.Contains("3 labels were given for a model with 5 classes", error.Message);
    }

    [Fact]
    public void Prepare_WritesTheMetadata()
    {
        var (plain, image, scores) = SmallClassifier();
        string[] labels = ["a", "b", "c", "d", "e"];

        var result = new CamReadyBuilder().Prepare(plain, new PrepareOptions
        {
            Labels = labels,
            Mean = [0.5f, 0.5f, 0.5f],
            Std = [0.25f, 0.25f, 0.25f],
            Weights = WeightsKind.Random,
        });

        var metadata = result.Model.MetadataProps.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal(CamReadyContract.Version, metadata[MetadataKeys.Version]);
        Assert.Equal(result.Target.Tensor, metadata[MetadataKeys.TargetLayer]);
        Assert.Equal("NCHW", metadata[MetadataKeys.TargetLayout]);
        Assert.Equal(scores, metadata[MetadataKeys.Logits]);
        Assert.Equal(image, metadata[MetadataKeys.Input]);
        Assert.Equal($"{Height},{Width}", metadata[MetadataKeys.InputSize]);
        Assert.Equal("0.5,0.5,0.5", metadata[MetadataKeys.Mean]);
        Assert.Equal("0.25,0.25,0.25", metadata[MetadataKeys.Std]);
        Assert.Equal("NCHW", metadata[MetadataKeys.Layout]);
        Assert.Equal("random", metadata[MetadataKeys.Weights]);
        Assert.Equal("5", metadata[MetadataKeys.NumClasses]);
        Assert.Equal($"4,{Height},{Width}", metadata[MetadataKeys.ActivationShape]);
        Assert.StartsWith("CamService.Onnx ", metadata[MetadataKeys.Producer]);

        var info = CamModelInfo.Read(result.Model);
        Assert.True(info.IsCamReady);
        Assert.Equal(labels, info.Labels);
        Assert.Equal((Height, Width, 1f / 255f), (info.Preprocessing!.Height, info.Preprocessing.Width, info.Preprocessing.PixelScale));
    }

    static void AssertMatchesFiniteDifferences(ModelProto plain, CamReadyResult result, string x, string scores)
    {
        var shape = plain.Graph.Input.Single(i => i.Name == x).Type.TensorType.Shape.Dim.Select((d, i) => i == 0 ? 2 : d.DimValue).ToArray();
        var comparison = FiniteDifferences.Compare(plain, result.Model, x, scores, RandomImage(shape, seed: 7), shape, GradientRuleTests.Targets[..2], GradientRuleTests.Step);
        Assert.True(comparison.LogitsError < 1e-5, $"logits differ from the plain model's scores by {comparison.LogitsError:E2}");
        Assert.True(comparison.ActivationsError == 0, $"activations differ from x by {comparison.ActivationsError:E2}");
        Assert.True(comparison.GradientError <= GradientRuleTests.Tolerance,
            $"gradient error {comparison.GradientError:E2} at {comparison.Worst}");
    }

    /// <summary>The product's own directional finite-difference check, for targets inside the model.</summary>
    static void AssertVerifies(ModelProto camReady)
    {
        var report = GradientVerifier.Verify(camReady);
        Assert.True(report.Passed, $"worst relative error {report.WorstRelativeError:E2} > {report.Tolerance:E1}");
    }
}
