using CamService.Onnx.Graph;
using Onnx;

namespace CamService.Onnx.Gradients.Rules.Pooling;

/// <summary>
/// Y = sqrt(Σ X²) over some axes (Swin V2's cosine attention normalises q and k with it): dX = g · X / Y, g broadcast back
/// over the reduced axes, and 0 where Y is 0 (the subgradient torch takes at the origin).
/// </summary>
public sealed class ReduceL2Rule : UnaryGradientRule
{
    public override string OpType => "ReduceL2";

    public override void Backward(GradientContext context)
    {
        var emit = context.Emit;
        var input = context.Input(0);
        // The norm again with its axes kept, so that it broadcasts over the input.
        AttributeProto[] kept = [.. context.Node.Attribute.Where(a => a.Name != "keepdims").Select(a => a.Clone()), Attributes.Int("keepdims", 1)];
        var norm = emit.Node("ReduceL2", context.Node.Input, kept);
        var zero = emit.Scalar(0f);
        var direction = emit.Where(emit.Node("Equal", [norm, zero]), zero, emit.Div(input, norm));
        context.AddInputGradient(0, emit.Mul(Reduction.GradientWithKeptAxes(context), direction));
    }
}
