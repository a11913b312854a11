using Onnx;

namespace CamService.Onnx.Graph;

/// <summary>The graphs nested in nodes' attributes (control flow), which read and may name the enclosing scope's tensors.</summary>
static class Subgraphs
{
    /// <summary>A node's subgraphs (If's branches, Loop's and Scan's bodies).</summary>
    public static IEnumerable<GraphProto> Of(NodeProto node) =>
        node.Attribute.SelectMany(a => a.G is null ? a.Graphs : a.Graphs.Append(a.G));

    /// <summary>Names a node's subgraphs read from the enclosing scope.</summary>
    public static IEnumerable<string> OuterReferences(NodeProto node) =>
        Of(node).SelectMany(g => g.Node.SelectMany(n => n.Input.Concat(OuterReferences(n))));

    /// <summary>Every tensor name the subgraphs of <paramref name="graph"/>'s nodes use, at any depth.</summary>
    public static IEnumerable<string> TensorNames(GraphProto graph) =>
        graph.Node.SelectMany(Of).SelectMany(g =>
            g.Node.SelectMany(n => n.Input.Concat(n.Output))
                .Concat(g.Input.Select(i => i.Name))
                .Concat(g.Initializer.Select(i => i.Name))
                .Concat(TensorNames(g)));

    /// <summary>Renames a tensor in <paramref name="graph"/> and in its nodes' subgraphs.</summary>
    public static void Rename(GraphProto graph, string from, string to)
    {
        foreach (var node in graph.Node)
        {
            for (var i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i] == from)
                {
                    node.Input[i] = to;
                }
            }
            for (var i = 0; i < node.Output.Count; i++)
            {
                if (node.Output[i] == from)
                {
                    node.Output[i] = to;
                }
            }
            foreach (var subgraph in Of(node))
            {
                Rename(subgraph, from, to);
            }
        }
        foreach (var value in graph.Input.Concat(graph.Output).Concat(graph.ValueInfo).Where(v => v.Name == from))
        {
            value.Name = to;
        }
        foreach (var initializer in graph.Initializer.Where(t => t.Name == from))
        {
            initializer.Name = to;
        }
    }
}
