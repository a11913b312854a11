using CamService.Onnx.Graph;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace CamService.Onnx.CamReady;

/// <summary>
/// The part of a CAM-ready model that maps the target layer to the scores — the function whose
/// derivative <c>gradients</c> claims to be — as a model of its own, so that claim can be checked
/// by finite differences and methods can re-evaluate it on changed activations. Tensors the head reads
/// from the backbone (a transformer block's residual, a token sequence's class token) become extra inputs.
/// </summary>
public sealed class HeadExtractor
{
    readonly ModelProto model;
    readonly List<NodeProto> nodes;

    public HeadExtractor(ModelProto camReady)
    {
        model = camReady;
        var graph = new GraphIndex(camReady);
        if (graph.Producer(CamReadyContract.Activations) is null)
        {
            throw new CamReadyException("The model has no 'activations' output.");
        }
        var logits = graph.Producer(CamReadyContract.Logits) ?? throw new CamReadyException("The model has no 'logits' output.");
        Folding = CamModelInfo.Read(camReady).Folding
            ?? throw new CamReadyException($"The model's metadata has no {MetadataKeys.ActivationShape}; prepare writes it.");
        // The activations are the target seen through prepare's folding nodes (all named cam/...).
        Target = CamReadyContract.Activations;
        while (graph.Producer(Target) is { } fold && fold.Name.StartsWith("cam/", StringComparison.Ordinal))
        {
            Target = fold.Input[0];
        }
        Scores = logits.Input[0];

        var head = HeadNodes(graph, Downstream(graph, Target), Target, Scores);
        nodes = graph.Graph.Node.Where(head.Contains).ToList();

        var produced = new HashSet<string>(nodes.SelectMany(n => n.Output));
        var backbone = nodes.SelectMany(n => n.Input)
            .Where(i => i.Length > 0 && i != Target && !produced.Contains(i) && graph.Initializer(i) is null)
            .Distinct();
        // A token sequence's extra tokens are not in the activations: the head takes them from the unchanged target.
        SideInputs = (Folding.ExtraTokens > 0 ? backbone.Prepend(Target) : backbone).ToList();
    }

    /// <summary>The tensors computed from <paramref name="target"/>, itself included.</summary>
    static HashSet<string> Downstream(GraphIndex graph, string target)
    {
        var dependsOnTarget = new HashSet<string> { target };
        var queue = new Queue<string>([target]);
        while (queue.Count > 0)
        {
            foreach (var (node, _) in graph.Consumers(queue.Dequeue()))
            {
                foreach (var output in node.Output.Where(o => o.Length > 0 && dependsOnTarget.Add(o)))
                {
                    queue.Enqueue(output);
                }
            }
        }
        return dependsOnTarget;
    }

    /// <summary>The nodes between the target and the scores: those computing from the target, and the constants they read.</summary>
    static HashSet<NodeProto> HeadNodes(GraphIndex graph, HashSet<string> dependsOnTarget, string target, string scores)
    {
        var head = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var constants = new Dictionary<string, bool>();
        var pending = new Stack<string>([scores]);
        var visited = new HashSet<string>();
        while (pending.Count > 0)
        {
            var tensor = pending.Pop();
            if (!visited.Add(tensor) || tensor == target || graph.Producer(tensor) is not { } producer)
            {
                continue;
            }
            // Constants come along, and so do nodes that only compute from constants (torch shares a weight through Identity).
            if ((dependsOnTarget.Contains(tensor) || IsConstant(graph, tensor, constants)) && head.Add(producer))
            {
                foreach (var input in producer.Input.Where(i => i.Length > 0))
                {
                    pending.Push(input);
                }
            }
        }
        return head;
    }

    /// <summary>Whether a tensor is an initializer or computed from constants alone; memoised in <paramref name="known"/>.</summary>
    static bool IsConstant(GraphIndex graph, string tensor, Dictionary<string, bool> known)
    {
        if (known.TryGetValue(tensor, out var constant))
        {
            return constant;
        }
        known[tensor] = false;
        constant = graph.Initializer(tensor) is not null
            || (graph.Producer(tensor) is { } producer && !producer.OpType.StartsWith("Random", StringComparison.Ordinal)
                && producer.Input.Where(i => i.Length > 0).All(i => IsConstant(graph, i, known)));
        return known[tensor] = constant;
    }

    /// <summary>The target layer's tensor in the model (not the <c>activations</c> copy).</summary>
    public string Target { get; }

    /// <summary>How the target layer becomes the activations.</summary>
    public TargetFolding Folding { get; }

    /// <summary>The target layer's layout.</summary>
    public TensorLayout TargetLayout => Folding.Layout;

    /// <summary>The tensor <c>logits</c> flattens.</summary>
    public string Scores { get; }

    /// <summary>The head's nodes in graph order.</summary>
    public IReadOnlyList<NodeProto> Nodes => nodes;

    /// <summary>
    /// Model tensors the head reads besides the activations: backbone tensors (or image inputs), and the target itself where
    /// a token sequence's extra tokens come from it.
    /// </summary>
    public IReadOnlyList<string> SideInputs { get; }

    /// <summary>
    /// Whether the scores are an affine function of the target alone: no side inputs, and only operators
    /// that pool, reshape, add or multiply by constants. Then zeroing part of the target changes a score by
    /// exactly the gradient times what was zeroed, which Ablation-CAM uses instead of re-running the head.
    /// </summary>
    public bool IsAffine
    {
        get
        {
            if (SideInputs.Count > 0)
            {
                return false;
            }
            var variable = new HashSet<string> { Target };
            foreach (var node in nodes)
            {
                var varying = node.Input.Select(i => variable.Contains(i)).ToArray();
                // A shape does not vary with the values (a torch view exports Shape → Gather → Concat → Reshape).
                if (!varying.Any(v => v) || node.OpType == "Shape")
                {
                    continue;
                }
                var affine = node.OpType switch
                {
                    "GlobalAveragePool" or "ReduceMean" or "ReduceSum" or "AveragePool" or "Flatten" or "Reshape" or "Squeeze" or "Unsqueeze"
                        or "Transpose" or "Identity" or "Dropout" or "Add" or "Sub" => true,
                    // A product is affine while only one factor varies; a quotient while its divisor does not.
                    "Gemm" or "MatMul" or "Mul" => varying.Count(v => v) == 1,
                    "Div" => !varying.Skip(1).Any(v => v),
                    _ => false,
                };
                if (!affine)
                {
                    return false;
                }
                // Only the first output carries values (Dropout's second is its mask).
                variable.Add(node.Output[0]);
            }
            return true;
        }
    }

    /// <summary>The name of the head model's first input, the activations [n, K, h, w].</summary>
    public const string ActivationsInput = "activations";

    /// <summary>
    /// The head as a model with inputs <see cref="ActivationsInput"/> [n, K, h, w] and the side inputs (typed as given, their
    /// batch 1 or n: one image's values serve every changed copy of its activations), and output the scores.
    /// </summary>
    public ModelProto BuildModel(IReadOnlyDictionary<string, (DataType Type, long[] Shape)> sideInputTypes)
    {
        var head = new ModelProto
        {
            IrVersion = Math.Max(model.IrVersion, 4),
            ProducerName = CamReadyBuilder.Producer,
            Graph = new GraphProto { Name = "cam_head" },
        };
        head.OpsetImport.AddRange(model.OpsetImport.Select(o => o.Clone()));

        // The head's nodes read the target, and each side input repeated to the batch of activations, under names of their own.
        const string target = "cam_head/target";
        var batched = SideInputs.Where(s => s != Target).ToDictionary(s => s, s => $"cam_head/batched/{s}");
        head.Graph.Node.AddRange(Folding.Unfold(ActivationsInput, target, Folding.ExtraTokens > 0 ? Target : null));
        head.Graph.Node.AddRange(batched.SelectMany(side => RepeatToBatch(side.Key, side.Value, sideInputTypes[side.Key].Shape.Length)));
        foreach (var node in nodes)
        {
            var copy = node.Clone();
            for (var i = 0; i < copy.Input.Count; i++)
            {
                copy.Input[i] = copy.Input[i] == Target ? target : batched.GetValueOrDefault(copy.Input[i], copy.Input[i]);
            }
            head.Graph.Node.Add(copy);
        }
        var used = new HashSet<string>(nodes.SelectMany(n => n.Input));
        head.Graph.Initializer.AddRange(model.Graph.Initializer.Where(t => used.Contains(t.Name)).Select(t => t.Clone()));

        head.Graph.Input.Add(Value(ActivationsInput, DataType.Float, Folding.ActivationShape.Prepend(0).ToArray()));
        foreach (var side in SideInputs)
        {
            var (type, shape) = sideInputTypes[side];
            head.Graph.Input.Add(Value(side, type, shape));
        }
        head.Graph.Output.Add(new ValueInfoProto { Name = Scores });
        return head;
    }

    /// <summary>Expand(side, [batch of the activations, 1, ...]): a side input of batch 1 repeated, one of batch n kept.</summary>
    static IEnumerable<NodeProto> RepeatToBatch(string side, string output, int rank)
    {
        var prefix = $"cam_head/repeat/{side}";
        yield return Op("Shape", [ActivationsInput], prefix + "/activations_shape");
        yield return Op("Constant", [], prefix + "/first", Attributes.Tensor("value", Tensors.Int64(prefix + "/first", [1], [0])));
        yield return Op("Gather", [prefix + "/activations_shape", prefix + "/first"], prefix + "/batch", Attributes.Int("axis", 0));
        var ones = Enumerable.Repeat(1L, rank - 1).ToArray();
        yield return Op("Constant", [], prefix + "/ones", Attributes.Tensor("value", Tensors.Int64(prefix + "/ones", [ones.Length], ones)));
        yield return Op("Concat", [prefix + "/batch", prefix + "/ones"], prefix + "/shape", Attributes.Int("axis", 0));
        yield return Op("Expand", [side, prefix + "/shape"], output);
    }

    static NodeProto Op(string opType, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = output + "/" + opType };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        return node;
    }

    /// <summary>A typed input whose first dimension (batch) is free, as are those not known (0 or less).</summary>
    static ValueInfoProto Value(string name, DataType type, long[] shape)
    {
        var dims = new TensorShapeProto();
        dims.Dim.AddRange(shape.Select((d, i) => i == 0 ? new TensorShapeProto.Types.Dimension { DimParam = "N" }
            : d > 0 ? new TensorShapeProto.Types.Dimension { DimValue = d }
            : new TensorShapeProto.Types.Dimension { DimParam = $"d{i}" }));
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = dims } },
        };
    }
}
