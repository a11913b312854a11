using CamService.Onnx.Graph;

namespace CamService.Onnx.Gradients.Rules.Linear;

/// <summary>
/// Inference-mode Y = scale * (X - mean) / sqrt(var + epsilon) + B: a per-channel affine map, so
/// dX = g * scale / sqrt(var + epsilon), broadcast along the channel axis (axis 1).
/// </summary>
public sealed class BatchNormalizationRule : UnaryGradientRule
{
    public override string OpType => "BatchNormalization";

    protected override InputRole NonDataInputRole => InputRole.Unsupported;

    public override void Backward(GradientContext context)
    {
        var trains = context.Node.GetInt("training_mode", 0) != 0 || context.Node.Output.Skip(1).Any(o => o.Length > 0);
        if (trains)
        {
            throw context.Unsupported("BatchNormalization in training mode normalises with batch statistics; export in eval mode");
        }
        var emit = context.Emit;
        var epsilon = context.Node.GetFloat("epsilon", 1e-5f);
        var variance = emit.Add(context.Input(4), emit.Scalar(epsilon));
        var factor = emit.Div(context.Input(1), emit.Sqrt(variance));

        // [C] -> [C, 1, ..., 1] so it lines up with axis 1 of [T, N, C, ...].
        var rank = context.Rank(context.Input(0));
        if (rank > 2)
        {
            factor = emit.Unsqueeze(factor, Enumerable.Range(1, rank - 2).Select(i => (long)i).ToArray());
        }
        context.AddInputGradient(0, emit.Mul(context.OutputGradient()!, factor));
    }
}
