using CamService.Onnx.Graph;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace CamService.Onnx.Gradients.Rules.Shape;

/// <summary>
/// Y = X in another floating-point type: g cast back to X's type. A cast to an integer or boolean
/// type rounds, so its output carries no gradient (the walk stops there, as at Floor). Before opset
/// 15 there is no CastLike: the gradient is cast to the activations' type, the type every rule's
/// constants have too.
/// </summary>
public sealed class CastRule : GradientRule
{
    static readonly HashSet<DataType> FloatingPoint = [DataType.Float, DataType.Float16, DataType.Double, DataType.Bfloat16];

    public override string OpType => "Cast";

    public override InputRole RoleOf(NodeProto node, int inputIndex) =>
        FloatingPoint.Contains((DataType)node.GetInt("to", 0)) ? InputRole.Differentiable : InputRole.NotDifferentiable;

    public override void Backward(GradientContext context)
    {
        var gradient = context.OutputGradient()!;
        context.AddInputGradient(0, context.Opset >= 15
            ? context.Emit.Node("CastLike", [gradient, context.Input(0)])
            : context.Emit.Cast(gradient, context.Emit.FloatType));
    }
}
