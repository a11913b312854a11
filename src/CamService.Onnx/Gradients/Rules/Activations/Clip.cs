using CamService.Onnx.Graph;

namespace CamService.Onnx.Gradients.Rules.Activations;

/// <summary>
/// Y = clamp(X, min, max) (ReLU6 among others): g where min ≤ X ≤ max, else 0, as PyTorch's clamp.
/// Bounds are attributes before opset 11 and optional inputs from 11 on.
/// </summary>
public sealed class ClipRule : UnaryGradientRule
{
    public override string OpType => "Clip";

    public override void Backward(GradientContext context)
    {
        var emit = context.Emit;
        var x = context.Input(0);
        var (min, max) = Bounds(context);
        string? inside = null;
        if (min is not null)
        {
            inside = emit.Not(emit.Less(x, min));
        }
        if (max is not null)
        {
            var belowMax = emit.Not(emit.Greater(x, max));
            inside = inside is null ? belowMax : emit.And(inside, belowMax);
        }
        var gradient = context.OutputGradient()!;
        context.AddInputGradient(0, inside is null ? gradient : emit.Where(inside, gradient, emit.Scalar(0f)));
    }

    static (string? Min, string? Max) Bounds(GradientContext context)
    {
        if (context.Opset < 11)
        {
            var min = context.Node.Find("min") is { } a ? context.Emit.Scalar(a.F) : null;
            var max = context.Node.Find("max") is { } b ? context.Emit.Scalar(b.F) : null;
            return (min, max);
        }
        string? Optional(int i) => i < context.InputCount && context.Input(i).Length > 0 ? context.Input(i) : null;
        return (Optional(1), Optional(2));
    }
}
