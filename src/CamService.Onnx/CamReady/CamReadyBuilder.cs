using System.Reflection;
using CamService.Onnx.Gradients;
using CamService.Onnx.Graph;
using Onnx;

namespace CamService.Onnx.CamReady;

/// <summary>
/// Makes a plain ONNX classifier CAM-ready: finds the scores and the target layer, appends the
/// gradient of the requested scores with respect to the target layer, and exposes logits,
/// activations and gradients as outputs beside a new <c>targets</c> input.
/// </summary>
public sealed class CamReadyBuilder(GradientRules? rules = null)
{
    readonly GradientBuilder gradients = new(rules ?? GradientRules.Default);

    public static string Producer { get; } = "CamService.Onnx " +
        (typeof(CamReadyBuilder).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0");

    /// <summary>
    /// This build of the builder: its assembly's module version id, which a deterministic build derives from the compiled
    /// code, so it changes whenever the code that makes a model CAM-ready does (the version above changes only with releases).
    /// </summary>
    public static Guid BuildId { get; } = typeof(CamReadyBuilder).Assembly.ManifestModule.ModuleVersionId;

    /// <summary>
    /// What <see cref="Prepare"/> would do, without building anything: the image input, the
    /// scores, the target layer and the nodes on the gradient path with their probed shapes.
    /// </summary>
    public CamReadyAnalysis Analyze(ModelProto source, PrepareOptions? options = null) => Plan(source, options ?? new PrepareOptions()).Analysis;

    public CamReadyResult Prepare(ModelProto source, PrepareOptions? options = null)
    {
        options ??= new PrepareOptions();
        var (graph, analysis) = Plan(source, options);
        var model = graph.Model;
        var (image, target, scores, path, shapes, folding) =
            (analysis.Image, analysis.Target, analysis.Scores, analysis.Path, analysis.Shapes, analysis.Folding);
        var scoresShape = shapes[scores];

        var emit = new NodeEmitter(graph, image.ElementType, "cam");
        BuildOutputs(graph, emit, path, target, folding, scores, scoresShape.Length, shapes, analysis.StructuralValues);

        var batch = model.Graph.Input.First(i => i.Name == image.Name).Type.TensorType.Shape.Dim[0].Clone();
        var activationShape = folding.ActivationShape;
        DeclareInterface(model, image, batch, analysis.NumClasses, activationShape);
        graph.RemoveUnusedNodes();

        var info = Describe(CamModelInfo.Read(source), options, image, analysis.SourceTarget, target.Layout, analysis.SourceScores, analysis.NumClasses) with
        {
            NumClasses = analysis.NumClasses,
            ActivationShape = activationShape.Select(d => (int)d).ToArray(),
            ExtraTokens = target.Layout == TensorLayout.Tokens ? folding.ExtraTokens : null,
            GigaMacs = analysis.GigaMacs,
        };
        info.WriteTo(model);
        DeclareHeadInputs(model);

        return new CamReadyResult(model, info, target with { Tensor = analysis.SourceTarget }, path.Nodes);
    }

    /// <summary>Finds everything the build needs, on a copy of the source whose reserved names are freed.</summary>
    (GraphIndex Graph, CamReadyAnalysis Analysis) Plan(ModelProto source, PrepareOptions options)
    {
        var existing = CamModelInfo.Read(source);
        if (existing.IsCamReady)
        {
            throw new CamReadyException("The model is already CAM-ready.");
        }

        var model = source.Clone();
        var graph = new GraphIndex(model);
        if (graph.Opset < 9)
        {
            throw new CamReadyException($"The model uses ONNX opset {graph.Opset}; opset 9 or newer is needed.");
        }
        if (model.Graph.Output.Count == 0)
        {
            throw new CamReadyException("The model has no outputs.");
        }

        var image = PinImageSize(model, ImageInput.Find(graph), existing.Preprocessing);
        var probeSize = image.Height!.Value;
        IReadOnlyDictionary<string, long[]> Probe(IEnumerable<string> tensors) =>
            ShapeProbe.Run(graph, tensors, probeSize);

        var output = options.Output ?? model.Graph.Output[0].Name;
        if (model.Graph.Output.All(o => o.Name != output))
        {
            throw new CamReadyException($"'{output}' is not an output of the model; outputs: {string.Join(", ", model.Graph.Output.Select(o => o.Name))}.");
        }
        var scores = ScoresLocator.Find(graph, output);
        var target = options.TargetLayer is { } named
            ? Named(named, options.TargetLayout, graph, Probe)
            : TargetLayerLocator.Find(graph, scores, image, Probe);
        var (sourceTarget, sourceScores) = (target.Tensor, scores);

        // The contract's names belong to the contract: rename source tensors that use them, the
        // image input included (the metadata's cam.input then names it for callers).
        foreach (var reserved in CamReadyContract.ReservedNames.Where(graph.Exists))
        {
            var fresh = graph.FreshName($"{reserved}_source");
            graph.RenameTensor(reserved, fresh);
            target = target.Tensor == reserved ? target with { Tensor = fresh } : target;
            scores = scores == reserved ? fresh : scores;
            image = image.Name == reserved ? image with { Name = fresh } : image;
        }

        var batch = ShapeProbe.ProbeShape(model.Graph.Input.First(i => i.Name == image.Name), probeSize)[0];
        var sourceGigaMacs = PruneHead(ref graph, target.Tensor, batch, Probe);
        var path = gradients.FindPath(graph, target.Tensor, scores);
        var shapes = Probe(path.TensorsToProbe(gradients.Rules).Append(scores).Concat(sourceGigaMacs is null ? MacCounter.TensorsToProbe(graph) : []));
        var values = ShapeProbe.IntegerValues(graph, path.ComputedStructuralInputs(graph, gradients.Rules), probeSize);
        var gigaMacs = sourceGigaMacs ?? MacCounter.GigaMacsPerImage(graph, shapes, batch);
        var folding = TargetFolding.Of(sourceTarget, target.Layout, shapes[target.Tensor], image.Height!.Value, image.Width!.Value, options.Grid);
        if (folding.Layout == TensorLayout.Tokens && graph.Opset < 10)
        {
            throw new CamReadyException($"The model uses ONNX opset {graph.Opset}; a token-sequence target layer needs opset 10 or newer.");
        }
        var numClasses = (int)shapes[scores].Skip(1).Aggregate(1L, (a, b) => a * b);
        return (graph, new CamReadyAnalysis(image, output, scores, sourceScores, target, sourceTarget, folding, path, shapes, values, numClasses, gigaMacs));
    }

    /// <summary>
    /// Prunes a head that picks tokens (<see cref="HeadPruning"/>), replacing <paramref name="graph"/> when it changed; returns
    /// the model's GMACs counted before, what the plain model computes, or null when there was nothing to prune.
    /// </summary>
    static double? PruneHead(ref GraphIndex graph, string target, long batch, Func<IEnumerable<string>, IReadOnlyDictionary<string, long[]>> probe)
    {
        if (!HeadPruning.HasPicks(graph, target))
        {
            return null;
        }
        var before = probe(HeadPruning.TensorsToProbe(graph, target).Concat(MacCounter.TensorsToProbe(graph)));
        var gigaMacs = MacCounter.GigaMacsPerImage(graph, before, batch);
        if (HeadPruning.Apply(graph.Model, target, before) > 0)
        {
            graph = new GraphIndex(graph.Model);
        }
        return gigaMacs;
    }

    /// <summary>A target layer the caller named; without a layout, a 3-D tensor is a token sequence and any other NCHW.</summary>
    static TargetLayer Named(string name, TensorLayout? layout, GraphIndex graph, Func<IEnumerable<string>, IReadOnlyDictionary<string, long[]>> probe)
    {
        if (!graph.Exists(name))
        {
            throw new CamReadyException($"The model has no tensor named '{name}'.");
        }
        layout ??= probe([name])[name].Length == 3 ? TensorLayout.Tokens : TensorLayout.Nchw;
        return new TargetLayer(name, layout.Value, "named by the caller");
    }

    /// <summary>Emits logits, the top-1 choice for negative targets, the seed, the gradient and the outputs.</summary>
    void BuildOutputs(GraphIndex graph, NodeEmitter emit, GradientPath path, TargetLayer target, TargetFolding folding, string scores, int scoresRank,
        IReadOnlyDictionary<string, long[]> shapes, IReadOnlyDictionary<string, long[]> values)
    {
        var logits = emit.NodeTo(CamReadyContract.Logits, "Flatten", [scores], Attributes.Int("axis", 1));

        // Negative targets mean each image's own top-1 class.
        var top1 = emit.Node("ArgMax", [logits], Attributes.Int("axis", 1), Attributes.Int("keepdims", 1));
        var targets = CamReadyContract.Targets;
        var chosen = emit.Where(emit.Less(targets, emit.Int64Scalar(0)), top1, targets);

        // seed[t, n, c] = 1 where c is image n's t-th target: one backward pass serves all T classes.
        // Rules that meet the seed first may gather the chosen classes instead (unused nodes are dropped).
        var classCount = shapes[scores].Skip(1).Aggregate(1L, (a, b) => a * b);
        var oneHot = emit.Node("OneHot", [chosen, emit.Int64s(classCount), emit.Floats([2], [0f, 1f])], Attributes.Int("axis", -1));
        var seed = emit.Transpose(oneHot, 1, 0, 2);
        // The gathering rules need the classes as [T, N], and only where the scores are [N, C].
        var seedClasses = scoresRank == 2 ? emit.Transpose(chosen, 1, 0) : null;
        if (scoresRank != 2)
        {
            seed = emit.Reshape(seed, emit.Concat(0, emit.Pick(emit.Shape(seed), 0), emit.Shape(scores)));
        }

        var gradient = gradients.Build(graph, emit, path, seed, shapes, seedClasses, values);
        folding.EmitActivations(emit, target.Tensor, CamReadyContract.Activations);
        folding.EmitGradients(graph, emit, gradient, CamReadyContract.Gradients);
    }

    /// <summary>
    /// The gradient is built for one image size: window geometry (output padding, SAME pads) and
    /// split sizes come from the probed shapes. Free height and width are therefore fixed to the size
    /// the model is preprocessed to (224 when nothing says otherwise), so ONNX Runtime rejects any
    /// other size with a clear error instead of failing inside the gradient or returning a wrong one.
    /// </summary>
    static ImageInput PinImageSize(ModelProto model, ImageInput image, Preprocessing? preprocessing)
    {
        var pinned = image with
        {
            Height = image.Height ?? preprocessing?.Height ?? 224,
            Width = image.Width ?? preprocessing?.Width ?? 224,
        };
        var dims = model.Graph.Input.First(i => i.Name == image.Name).Type.TensorType.Shape.Dim;
        var (heightAxis, widthAxis) = image.Layout == TensorLayout.Nhwc ? (1, 2) : (2, 3);
        dims[heightAxis] = new TensorShapeProto.Types.Dimension { DimValue = pinned.Height.Value };
        dims[widthAxis] = new TensorShapeProto.Types.Dimension { DimValue = pinned.Width.Value };
        return pinned;
    }

    static void DeclareInterface(ModelProto model, ImageInput image, TensorShapeProto.Types.Dimension batch, int numClasses, long[] activation)
    {
        TensorShapeProto.Types.Dimension Static(long value) => new() { DimValue = value };
        TensorShapeProto.Types.Dimension Free(string name) => new() { DimParam = name };
        var (height, width) = (Static(activation[1]), Static(activation[2]));

        model.Graph.Input.Add(Value(CamReadyContract.Targets, TensorProto.Types.DataType.Int64, batch, Free("targets")));
        model.Graph.Output.Clear();
        model.Graph.Output.Add(Value(CamReadyContract.Logits, image.ElementType, batch, Static(numClasses)));
        model.Graph.Output.Add(Value(CamReadyContract.Activations, image.ElementType, batch, Static(activation[0]), height, width));
        model.Graph.Output.Add(Value(CamReadyContract.Gradients, image.ElementType, batch, Free("targets"), Static(activation[0]), height, width));
    }

    /// <summary>
    /// The backbone tensors the head reads besides the target (a transformer block's residual, the target itself for a token
    /// sequence's extra tokens), as outputs after the contract's three: methods that evaluate the head on changed activations
    /// fetch them from the same run. A run that does not ask for them pays nothing.
    /// </summary>
    static void DeclareHeadInputs(ModelProto model)
    {
        var inputs = model.Graph.Input.Select(i => i.Name).ToHashSet();
        foreach (var side in new HeadExtractor(model).SideInputs.Where(s => !inputs.Contains(s)))
        {
            // No declared type: ONNX Runtime infers it.
            model.Graph.Output.Add(new ValueInfoProto { Name = side });
        }
    }

    static ValueInfoProto Value(string name, TensorProto.Types.DataType type, params TensorShapeProto.Types.Dimension[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.AddRange(dims.Select(d => d.Clone()));
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    static CamModelInfo Describe(CamModelInfo existing, PrepareOptions options, ImageInput image, string target, TensorLayout layout,
        string scores, int numClasses)
    {
        var preprocessing = existing.Preprocessing
            ?? Preprocessing.ImageNet(image.Height ?? 224, image.Width ?? 224) with { Layout = image.Layout };
        preprocessing = preprocessing with
        {
            Mean = options.Mean ?? preprocessing.Mean,
            Std = options.Std ?? preprocessing.Std,
        };
        if (preprocessing.Mean.Length != 3 || preprocessing.Std.Length != 3 || preprocessing.Std.Any(s => s <= 0))
        {
            throw new CamReadyException("Mean and std need three values each, and every std must be positive.");
        }

        var labels = options.Labels ?? existing.Labels;
        if (labels is not null && labels.Count != numClasses)
        {
            throw new CamReadyException($"{labels.Count} labels were given for a model with {numClasses} classes.");
        }

        return existing with
        {
            Version = CamReadyContract.Version,
            Producer = Producer,
            TargetLayer = target,
            TargetLayout = layout,
            Logits = scores,
            Input = image.Name,
            Preprocessing = preprocessing,
            Weights = options.Weights ?? existing.Weights,
            Labels = labels,
            LabelsFile = labels is null ? options.LabelsFile ?? existing.LabelsFile : null,
        };
    }
}
