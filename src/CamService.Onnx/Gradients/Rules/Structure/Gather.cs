using CamService.Onnx.Graph;
using DataType = Onnx.TensorProto.Types.DataType;

namespace CamService.Onnx.Gradients.Rules.Structure;

/// <summary>
/// Y = X's slices along <c>axis</c> at the given indices (a scalar index drops the axis, as ViT's
/// class-token pick): dX[.., d, ..] = Σ_q g[.., q, ..] * [indices[q] = d], a product with the
/// one-hot matrix of the indices, so repeated indices add up and negative ones count from the end.
/// Axis 0 is allowed: after a permute it need not be the batch (Swin's q, k, v = qkv[0], qkv[1], qkv[2]);
/// no classifier gathers across its batch.
/// </summary>
public sealed class GatherRule : UnaryGradientRule
{
    public override string OpType => "Gather";

    public override void Backward(GradientContext context)
    {
        var emit = context.Emit;
        var (data, output) = (context.Input(0), context.Output());
        var dataShape = context.StaticShape(data);
        var axis = (int)GradientContext.NormalizeAxis(context.Node.GetInt("axis", 0), dataShape.Length);
        var depth = dataShape[axis];
        // OneHot takes indices of rank 1 or more, and its kernels int64 ones with an int64 depth; axis 0
        // makes the one-hot matrix [D, Q].
        var indices = emit.Reshape(emit.Cast(context.Input(1), DataType.Int64), emit.Int64s(-1));
        var selection = emit.Node("OneHot", [indices, emit.Int64s(depth), emit.Floats([2], [0f, 1f])], Attributes.Int("axis", 0));
        var outputShape = context.StaticShape(output);
        var indexRank = outputShape.Length - dataShape.Length + 1;
        context.AddInputGradient(0, Spread(context, context.OutputGradient()!, outputShape, axis, indexRank, selection, depth));
    }

    /// <summary>
    /// Puts a selection's gradient back where it came from: g's axes [axis, axis + indexRank) hold
    /// the Q selected positions ([T, ...shape]), and <paramref name="selection"/> [D, Q] has a one at
    /// (d, q) where q was taken from position d. Returns g with those axes replaced by one of size D.
    /// Where they are not axis 0, the batch is there and alone is left to -1, so no Shape node is needed; at
    /// axis 0 the batch may be behind them, and the shape is read at run time.
    /// </summary>
    internal static string Spread(GradientContext context, string gradient, long[] shape, int axis, int indexRank, string selection, long depth)
    {
        var emit = context.Emit;
        var selected = shape[axis..(axis + indexRank)].Aggregate(1L, (a, b) => a * b);
        if (axis == 0)
        {
            var leading = emit.MatMul(selection, emit.Reshape(gradient, emit.Int64s(0, 1, selected, -1)));
            var gradientShape = emit.Shape(gradient);
            var rest = emit.Slice(gradientShape, 0, 1 + indexRank, long.MaxValue);
            return emit.Reshape(leading, emit.Concat(0, emit.Pick(gradientShape, 0), emit.Int64s(depth), rest));
        }
        var inner = shape[(axis + indexRank)..].Aggregate(1L, (a, b) => a * b);
        // [T, A, Q, B]: [D, Q] @ [T, A, Q, B] = [T, A, D, B] sums over the selected positions.
        var rows = emit.Reshape(gradient, emit.Int64s(0, -1, selected, inner));
        var spread = emit.MatMul(selection, rows);
        return emit.Reshape(spread, emit.Int64s([0, -1, .. shape[1..axis], depth, .. shape[(axis + indexRank)..]]));
    }
}
