using CamService.Onnx.Graph;
using Onnx;

namespace CamService.Onnx.Gradients;

/// <summary>
/// What a rule sees of one node while the builder walks backwards: the node, its output
/// gradients, which inputs want gradients, the probed shapes, and helpers for the leading T axis.
/// </summary>
public sealed class GradientContext
{
    readonly GradientTape tape;

    internal GradientContext(GradientTape tape, NodeProto node)
    {
        this.tape = tape;
        Node = node;
    }

    public NodeProto Node { get; }

    public NodeEmitter Emit => tape.Emitter;

    public GraphIndex Graph => tape.Graph;

    public int Opset => tape.Graph.Opset;

    public string Input(int index) => Node.Input[index];

    public string Output(int index = 0) => Node.Output[index];

    public int InputCount => Node.Input.Count;

    /// <summary>The gradient of output <paramref name="index"/> ([T, ...shape]), or null if none flows back.</summary>
    public string? OutputGradient(int index = 0) =>
        index < Node.Output.Count ? tape.GradientOf(Node.Output[index]) : null;

    /// <summary>
    /// When <paramref name="gradient"/> is one-hot over the last axis of [N, C] scores, the [T, N]
    /// int64 classes it picks (g[t, n, c] = 1 where c = classes[t, n], else 0); otherwise null. A
    /// product with such a gradient is a gather: the classifier's weight need not be read whole.
    /// </summary>
    public string? OneHotClasses(string gradient) => tape.OneHotClasses(gradient);

    /// <summary>Whether input <paramref name="index"/> depends on the target layer and needs a gradient.</summary>
    public bool NeedsGradient(int index) =>
        index < Node.Input.Count && Node.Input[index].Length > 0 && tape.NeedsGradient(Node.Input[index]);

    /// <summary>Adds a contribution to the gradient of input <paramref name="index"/> (contributions are summed).</summary>
    public void AddInputGradient(int index, string gradient) => tape.Accumulate(Node.Input[index], gradient);

    /// <summary>The shape the probe saw for a tensor (batch as <see cref="ShapeProbe.BatchSize"/>).</summary>
    public long[] StaticShape(string tensor) =>
        tape.StaticShape(tensor) ?? throw Unsupported(tensor, "its shape is unknown");

    public int Rank(string tensor) => StaticShape(tensor).Length;

    /// <summary>The runtime size of the leading T axis as a 1-D int64 tensor of one element.</summary>
    public string TargetCount => tape.TargetCount;

    /// <summary>The runtime shape of the gradient of <paramref name="tensor"/>: [T, ...shape].</summary>
    public string GradientShapeOf(string tensor) => tape.GradientShapeOf(tensor);

    /// <summary>Reshapes a gradient to the shape of <paramref name="tensor"/>'s gradient.</summary>
    public string ReshapeAsGradientOf(string gradient, string tensor) =>
        Emit.Reshape(gradient, GradientShapeOf(tensor));

    /// <summary>
    /// Sums a gradient of a broadcast result down to the shape of the input it came from: over the
    /// leading axes the input lacks and over the axes where it had size one. The last
    /// <paramref name="matrixAxes"/> axes are never broadcast (MatMul's matrix axes).
    /// </summary>
    public string Unbroadcast(string gradient, string input, string result, int matrixAxes = 0)
    {
        var inputShape = StaticShape(input);
        var resultShape = StaticShape(result);
        var offset = resultShape.Length - inputShape.Length;
        var axes = new List<long>();
        for (var i = 0; i < resultShape.Length - matrixAxes; i++)
        {
            var j = i - offset;
            if (j < 0 || (inputShape[j] == 1 && resultShape[i] != 1))
            {
                axes.Add(i + 1);
            }
        }
        if (axes.Count == 0 && offset == 0)
        {
            return gradient;
        }
        var reduced = axes.Count == 0 ? gradient : Emit.ReduceSum(gradient, axes.ToArray(), keepDims: true);
        return ReshapeAsGradientOf(reduced, input);
    }

    /// <summary>Normalises a possibly negative axis of a tensor of rank <paramref name="rank"/>.</summary>
    public static long NormalizeAxis(long axis, int rank) => axis < 0 ? axis + rank : axis;

    /// <summary>
    /// The integer value of a structural input: a constant (an initializer or Constant node), or one computed from shapes, which is
    /// fixed once the image size is pinned (the probe saw it, the same for two batch sizes); null when neither.
    /// </summary>
    public long[]? ConstantInts(int inputIndex) =>
        inputIndex < Node.Input.Count && Node.Input[inputIndex].Length > 0 ? tape.IntegerValue(Node.Input[inputIndex]) : null;

    /// <summary>The float value of a constant input (an initializer or Constant node), or null.</summary>
    public float[]? ConstantFloats(int inputIndex) =>
        inputIndex < Node.Input.Count && Node.Input[inputIndex].Length > 0 ? Graph.ConstantFloats(Node.Input[inputIndex]) : null;

    /// <summary>An error that names this node's operator, the node and a tensor.</summary>
    public GradientException Unsupported(string tensor, string reason) =>
        GradientException.For(Node.OpType, NodeName, tensor, reason);

    /// <summary>An error about the node's first input, the usual subject of a reason.</summary>
    public GradientException Unsupported(string reason) => Unsupported(Node.Input.Count > 0 ? Node.Input[0] : Node.Output[0], reason);

    string NodeName => Node.Name.Length > 0 ? Node.Name : $"<unnamed, output {Node.Output[0]}>";
}
