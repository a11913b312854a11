using CamService.Onnx.Graph;

namespace CamService.Onnx.Gradients.Rules.Shape;

/// <summary>Flatten only rearranges elements: the gradient is reshaped back to the input's shape.</summary>
public sealed class FlattenRule : UnaryGradientRule
{
    public override string OpType => "Flatten";

    public override void Backward(GradientContext context)
    {
        var gradient = context.OutputGradient()!;
        var input = context.Input(0);
        if (GradientContext.NormalizeAxis(context.Node.GetInt("axis", 1), context.Rank(input)) == 1)
        {
            // [T, N, d1·…·dk] → [T, N, d1, …, dk]: a 0 keeps T and N as they are at run time, and
            // d1…dk are fixed by the pinned image size, so no Shape nodes are needed.
            var dims = new long[] { 0, 0 }.Concat(context.StaticShape(input).Skip(1)).ToArray();
            context.AddInputGradient(0, context.Emit.Reshape(gradient, context.Emit.Int64s(dims)));
            return;
        }
        context.AddInputGradient(0, context.ReshapeAsGradientOf(gradient, input));
    }
}
