using CamService.Onnx.Graph;
using Onnx;

namespace CamService.Onnx.CamReady;

/// <summary>
/// Counts a model's multiply–accumulates (MACs) per image in its convolutions and matrix products,
/// elementwise operations left out. The EfficientNet paper's and torchvision's "GFLOPs" columns count
/// the same (one MAC, though it is two floating-point operations), so the names here say MACs.
/// </summary>
public static class MacCounter
{
    static readonly HashSet<string> Counted = ["Conv", "ConvTranspose", "Gemm", "MatMul"];

    /// <summary>The tensors whose shapes <see cref="GigaMacsPerImage"/> needs.</summary>
    public static IEnumerable<string> TensorsToProbe(GraphIndex graph) =>
        graph.Graph.Node.Where(n => Counted.Contains(n.OpType) && n.Domain is "" or "ai.onnx")
            .SelectMany(n => new[] { n.Input[0], n.Input[1], n.Output[0] });

    public static double GigaMacsPerImage(GraphIndex graph, IReadOnlyDictionary<string, long[]> shapes, long batch)
    {
        double macs = 0;
        foreach (var node in graph.Graph.Node.Where(n => Counted.Contains(n.OpType) && n.Domain is "" or "ai.onnx"))
        {
            if (!shapes.TryGetValue(node.Input[0], out var a) || !shapes.TryGetValue(node.Input[1], out var b)
                || !shapes.TryGetValue(node.Output[0], out var y))
            {
                continue;
            }
            macs += node.OpType switch
            {
                "Conv" => Product(y) * Product(b[1..]),
                "ConvTranspose" => Product(a) * Product(b[1..]),
                "Gemm" => Product(y) * (node.GetInt("transA", 0) != 0 ? a[0] : a[^1]),
                _ => Product(y) * a[^1],
            };
        }
        return macs / batch / 1e9;
    }

    static double Product(long[] dims) => dims.Aggregate(1.0, (p, d) => p * d);
}
