using CamService.Onnx.Graph;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace CamService.Onnx.CamReady;

/// <summary>
/// The part of a CAM-ready model that maps the target layer to the scores — the function whose
/// derivative <c>gradients</c> claims to be — as a model of its own, so that claim can be checked
/// by finite differences. Tensors the head reads from the backbone become extra inputs.
/// </summary>
public sealed class HeadExtractor
{
    readonly ModelProto model;
    readonly List<NodeProto> nodes;

    public HeadExtractor(ModelProto camReady)
    {
        model = camReady;
        var graph = new GraphIndex(camReady);
        var activations = graph.Producer(CamReadyContract.Activations) ?? throw new CamReadyException("The model has no 'activations' output.");
        var logits = graph.Producer(CamReadyContract.Logits) ?? throw new CamReadyException("The model has no 'logits' output.");
        Target = activations.Input[0];
        TargetLayout = activations.OpType == "Transpose" ? TensorLayout.Nhwc : TensorLayout.Nchw;
        Scores = logits.Input[0];

        var dependsOnTarget = new HashSet<string> { Target };
        var queue = new Queue<string>([Target]);
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

        var head = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<string>([Scores]);
        var visited = new HashSet<string>();
        while (pending.Count > 0)
        {
            var tensor = pending.Pop();
            if (!visited.Add(tensor) || tensor == Target || graph.Producer(tensor) is not { } producer)
            {
                continue;
            }
            if ((dependsOnTarget.Contains(tensor) || producer.OpType == "Constant") && head.Add(producer))
            {
                foreach (var input in producer.Input.Where(i => i.Length > 0))
                {
                    pending.Push(input);
                }
            }
        }
        nodes = graph.Graph.Node.Where(head.Contains).ToList();

        var produced = new HashSet<string>(nodes.SelectMany(n => n.Output));
        SideInputs = nodes.SelectMany(n => n.Input)
            .Where(i => i.Length > 0 && i != Target && !produced.Contains(i) && graph.Initializer(i) is null)
            .Distinct()
            .ToList();
    }

    /// <summary>The target layer's tensor in the model (not the <c>activations</c> copy).</summary>
    public string Target { get; }

    /// <summary>NCHW, or NHWC where <c>activations</c> is a transposed view of the target.</summary>
    public TensorLayout TargetLayout { get; }

    /// <summary>The tensor <c>logits</c> flattens.</summary>
    public string Scores { get; }

    /// <summary>The head's nodes in graph order.</summary>
    public IReadOnlyList<NodeProto> Nodes => nodes;

    /// <summary>Backbone tensors (or image inputs) the head reads besides the target.</summary>
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

    /// <summary>The head as a model with inputs target and side inputs (typed as given) and output scores.</summary>
    public ModelProto BuildModel(IReadOnlyDictionary<string, (DataType Type, long[] Shape)> inputTypes)
    {
        var head = new ModelProto
        {
            IrVersion = Math.Max(model.IrVersion, 4),
            ProducerName = CamReadyBuilder.Producer,
            Graph = new GraphProto { Name = "cam_head" },
        };
        head.OpsetImport.AddRange(model.OpsetImport.Select(o => o.Clone()));
        head.Graph.Node.AddRange(nodes.Select(n => n.Clone()));
        var used = new HashSet<string>(nodes.SelectMany(n => n.Input));
        head.Graph.Initializer.AddRange(model.Graph.Initializer.Where(t => used.Contains(t.Name)).Select(t => t.Clone()));
        foreach (var input in SideInputs.Prepend(Target))
        {
            var (type, shape) = inputTypes[input];
            var dims = new TensorShapeProto();
            dims.Dim.AddRange(shape.Select((d, i) => i == 0 ? new TensorShapeProto.Types.Dimension { DimParam = "N" } : new TensorShapeProto.Types.Dimension { DimValue = d }));
            head.Graph.Input.Add(new ValueInfoProto
            {
                Name = input,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = dims } },
            });
        }
        head.Graph.Output.Add(new ValueInfoProto { Name = Scores });
        return head;
    }
}
