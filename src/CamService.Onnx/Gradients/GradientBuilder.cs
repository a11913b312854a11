using CamService.Onnx.Graph;
using Onnx;

namespace CamService.Onnx.Gradients;

/// <summary>The nodes between a target tensor and the scores, and the tensors that carry gradient.</summary>
public sealed record GradientPath(
    string Target,
    string Scores,
    IReadOnlyList<NodeProto> Nodes,
    IReadOnlySet<string> Tracked)
{
    /// <summary>Every tensor a rule may ask the shape of: path nodes' data inputs and the outputs used downstream.</summary>
    public IEnumerable<string> TensorsToProbe(GradientRules rules)
    {
        var consumed = new HashSet<string>(Nodes.SelectMany(n => n.Input)) { Scores };
        foreach (var node in Nodes)
        {
            var rule = rules.Find(node)!;
            for (var i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i].Length > 0 && rule.RoleOf(node, i) != InputRole.NotDifferentiable)
                {
                    yield return node.Input[i];
                }
            }
            foreach (var output in node.Output.Where(consumed.Contains))
            {
                yield return output;
            }
        }
        yield return Target;
    }

    /// <summary>
    /// The structural inputs of path nodes (a Slice's starts, a Pad's pads) that are computed rather than constant: torch exports
    /// many from the input's shape, and rules read their values from the probe.
    /// </summary>
    public IEnumerable<string> ComputedStructuralInputs(GraphIndex graph, GradientRules rules)
    {
        foreach (var node in Nodes)
        {
            var rule = rules.Find(node)!;
            for (var i = 0; i < node.Input.Count; i++)
            {
                var input = node.Input[i];
                if (input.Length > 0 && rule.RoleOf(node, i) == InputRole.NotDifferentiable && graph.ConstantInts(input) is null)
                {
                    yield return input;
                }
            }
        }
    }
}

/// <summary>
/// Appends the reverse-mode derivative of a scores tensor with respect to a target tensor. The
/// walk knows nothing about operators: each node's derivative comes from its rule in
/// <see cref="GradientRules"/>.
/// </summary>
public sealed class GradientBuilder(GradientRules rules)
{
    /// <summary>Ops whose outputs carry no gradient (shapes, indices, comparisons).</summary>
    static readonly HashSet<string> GradientStops =
    [
        "Shape", "Size", "ArgMax", "ArgMin", "NonZero", "Equal", "Greater", "Less", "GreaterOrEqual",
        "LessOrEqual", "Not", "And", "Or", "Xor", "IsNaN", "IsInf", "ConstantOfShape", "EyeLike",
        "RandomNormalLike", "RandomUniformLike", "Floor", "Ceil", "Round", "Sign", "TopK",
    ];

    public GradientRules Rules { get; } = rules;

    /// <summary>
    /// Finds the nodes through which <paramref name="scores"/> depends on <paramref name="target"/>,
    /// failing with the op, node and tensor when one of them has no rule.
    /// </summary>
    public GradientPath FindPath(GraphIndex graph, string target, string scores)
    {
        var (tracked, seen) = Forward(graph, target);
        if (!tracked.Contains(scores))
        {
            throw new GradientException(
                $"The scores '{scores}' do not depend on the target layer '{target}' through differentiable operators.");
        }
        var onPath = Backward(graph, target, scores, tracked, seen);
        var nodes = graph.TopologicalOrder().Where(onPath.Contains).ToList();
        CheckRules(nodes, tracked);
        return new GradientPath(target, scores, nodes, tracked);
    }

    /// <summary>Forward: every tensor a gradient can flow into from the target, and the nodes it flows through.</summary>
    (HashSet<string> Tracked, HashSet<NodeProto> Seen) Forward(GraphIndex graph, string target)
    {
        var tracked = new HashSet<string> { target };
        var seen = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var queue = new Queue<string>([target]);
        while (queue.Count > 0)
        {
            var tensor = queue.Dequeue();
            foreach (var (node, slot) in graph.Consumers(tensor))
            {
                if (GradientStops.Contains(node.OpType) || node.Domain is not ("" or "ai.onnx"))
                {
                    continue;
                }
                var rule = Rules.Find(node);
                if (rule is not null && rule.RoleOf(node, slot) == InputRole.NotDifferentiable)
                {
                    continue;
                }
                if (seen.Add(node))
                {
                    foreach (var output in node.Output.Where(o => o.Length > 0 && tracked.Add(o)))
                    {
                        queue.Enqueue(output);
                    }
                }
            }
        }
        return (tracked, seen);
    }

    /// <summary>Backward: of the nodes reached, those the scores depend on.</summary>
    static HashSet<NodeProto> Backward(GraphIndex graph, string target, string scores, HashSet<string> tracked, HashSet<NodeProto> seen)
    {
        var onPath = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<string>([scores]);
        var visited = new HashSet<string>();
        while (pending.Count > 0)
        {
            var tensor = pending.Pop();
            if (!visited.Add(tensor) || tensor == target || graph.Producer(tensor) is not { } producer || !seen.Contains(producer))
            {
                continue;
            }
            if (onPath.Add(producer))
            {
                foreach (var input in producer.Input.Where(tracked.Contains))
                {
                    pending.Push(input);
                }
            }
        }
        return onPath;
    }

    /// <summary>Every node on the path has a rule that differentiates each input the target reaches.</summary>
    void CheckRules(List<NodeProto> nodes, HashSet<string> tracked)
    {
        foreach (var node in nodes)
        {
            var rule = Rules.Find(node);
            var input = node.Input.First(tracked.Contains);
            if (rule is null)
            {
                throw GradientException.For(node.OpType, Describe(node), input,
                    $"no derivative rule is registered for {node.OpType}. Supported: {string.Join(", ", Rules.OpTypes)}.");
            }
            for (var i = 0; i < node.Input.Count; i++)
            {
                if (tracked.Contains(node.Input[i]) && rule.RoleOf(node, i) == InputRole.Unsupported)
                {
                    throw GradientException.For(node.OpType, Describe(node), node.Input[i],
                        $"input {i} depends on the target layer, but the rule only differentiates the data input.");
                }
            }
        }
    }

    /// <summary>
    /// Emits the gradient of <c>sum(seed * scores)</c> with respect to the path's target, where
    /// <paramref name="seed"/> has shape [T, ...scores shape]; returns the [T, ...target shape] tensor.
    /// Where the seed is one-hot over the classes of [N, C] scores, <paramref name="seedClasses"/> ([T, N]
    /// int64) names the class each slice picks, so rules may gather instead of multiplying by the seed.
    /// <paramref name="values"/> holds the probed values of computed structural inputs (<see cref="GradientPath.ComputedStructuralInputs"/>).
    /// </summary>
    public string Build(GraphIndex graph, NodeEmitter emitter, GradientPath path, string seed, IReadOnlyDictionary<string, long[]> shapes,
        string? seedClasses = null, IReadOnlyDictionary<string, long[]>? values = null)
    {
        var tape = new GradientTape(graph, emitter, path, shapes, seed, seedClasses, values);
        tape.Accumulate(path.Scores, seed);
        for (var i = path.Nodes.Count - 1; i >= 0; i--)
        {
            var node = path.Nodes[i];
            var context = new GradientContext(tape, node);
            if (Enumerable.Range(0, node.Output.Count).All(o => context.OutputGradient(o) is null))
            {
                continue;
            }
            Rules.Find(node)!.Backward(context);
        }

        return tape.GradientOf(path.Target)
            ?? throw new GradientException($"No gradient reached the target layer '{path.Target}'.");
    }

    static string Describe(NodeProto node) => node.Name.Length > 0 ? node.Name : $"<unnamed, output {node.Output[0]}>";
}

/// <summary>The gradients accumulated so far during one backward walk.</summary>
internal sealed class GradientTape
{
    readonly GradientPath path;
    readonly IReadOnlyDictionary<string, long[]> shapes;
    readonly HashSet<NodeProto> pathNodes;
    readonly Dictionary<string, List<string>> contributions = new();
    readonly Dictionary<string, string> gradientShapes = new();
    readonly string seed;
    readonly string? seedClasses;
    readonly IReadOnlyDictionary<string, long[]> values;
    string? targetCount;

    public GradientTape(GraphIndex graph, NodeEmitter emitter, GradientPath path, IReadOnlyDictionary<string, long[]> shapes, string seed,
        string? seedClasses, IReadOnlyDictionary<string, long[]>? values)
    {
        this.values = values ?? new Dictionary<string, long[]>();
        Graph = graph;
        Emitter = emitter;
        this.path = path;
        this.shapes = shapes;
        this.seed = seed;
        this.seedClasses = seedClasses;
        pathNodes = new HashSet<NodeProto>(path.Nodes, ReferenceEqualityComparer.Instance);
    }

    public GraphIndex Graph { get; }

    public NodeEmitter Emitter { get; }

    public string TargetCount => targetCount ??= Emitter.Pick(Emitter.Shape(seed), 0);

    public bool NeedsGradient(string tensor) =>
        tensor == path.Target || (path.Tracked.Contains(tensor) && Graph.Producer(tensor) is { } p && pathNodes.Contains(p));

    public long[]? StaticShape(string tensor) => shapes.GetValueOrDefault(tensor);

    /// <summary>An integer tensor's value: a constant's, or one computed from shapes as the probe saw it.</summary>
    public long[]? IntegerValue(string tensor) => Graph.ConstantInts(tensor) ?? values.GetValueOrDefault(tensor);

    /// <summary>The [T, N] classes of a one-hot gradient: known for the seed itself, when the caller gave them.</summary>
    public string? OneHotClasses(string gradient) => gradient == seed ? seedClasses : null;

    public void Accumulate(string tensor, string gradient)
    {
        if (!contributions.TryGetValue(tensor, out var list))
        {
            contributions[tensor] = list = [];
        }
        list.Add(gradient);
    }

    /// <summary>The summed gradient of a tensor; later contributions are not expected once it is read.</summary>
    public string? GradientOf(string tensor)
    {
        if (!contributions.TryGetValue(tensor, out var list) || list.Count == 0)
        {
            return null;
        }
        if (list.Count > 1)
        {
            var sum = Emitter.Sum(list);
            list.Clear();
            list.Add(sum);
        }
        return list[0];
    }

    public string GradientShapeOf(string tensor)
    {
        if (!gradientShapes.TryGetValue(tensor, out var shape))
        {
            gradientShapes[tensor] = shape = Emitter.Concat(0, TargetCount, Emitter.Shape(tensor));
        }
        return shape;
    }
}
