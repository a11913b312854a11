using CamService.Onnx.Graph;

namespace CamService.Onnx.Gradients.Rules.Normalization;

/// <summary>
/// Y = X̂ * Scale + B with X̂ = (X - μ) * σ⁻¹, μ and σ² the mean and variance of X over the axes from
/// <c>axis</c> (default -1) on, σ⁻¹ = 1 / √(σ² + epsilon): with ĝ = g * Scale,
/// dX = σ⁻¹ * (ĝ - mean(ĝ) - X̂ * mean(ĝ * X̂)), the means over the same axes. μ and σ⁻¹ are
/// recomputed from X, as the node need not output them. Scale and B are parameters.
/// </summary>
public sealed class LayerNormalizationRule : UnaryGradientRule
{
    public override string OpType => "LayerNormalization";

    protected override InputRole NonDataInputRole => InputRole.Unsupported;

    public override void Backward(GradientContext context)
    {
        if (context.OutputGradient(1) is not null || context.OutputGradient(2) is not null)
        {
            throw context.Unsupported("its Mean or InvStdDev output feeds the scores; only Y is differentiated");
        }
        var emit = context.Emit;
        var x = context.Input(0);
        var shape = context.StaticShape(x);
        var axis = (int)GradientContext.NormalizeAxis(context.Node.GetInt("axis", -1), shape.Length);
        if (axis == 0)
        {
            throw context.Unsupported("normalising over the batch axis mixes images");
        }
        // Every normalised axis but the batch has its probed size, so the divisor is a constant.
        var count = emit.Scalar(1f / shape[axis..].Aggregate(1L, (a, b) => a * b));
        var axes = Enumerable.Range(axis, shape.Length - axis).Select(i => (long)i).ToArray();
        string Mean(string tensor, long[] over) => emit.Mul(emit.ReduceSum(tensor, over, keepDims: true), count);

        var centred = emit.Sub(x, Mean(x, axes));
        var variance = Mean(emit.Mul(centred, centred), axes);
        var inverseStd = emit.Div(emit.Scalar(1f), emit.Sqrt(emit.Add(variance, emit.Scalar(context.Node.GetFloat("epsilon", 1e-5f)))));
        var normalised = emit.Mul(centred, inverseStd);

        var gradientAxes = axes.Select(a => a + 1).ToArray();
        var scaled = emit.Mul(context.OutputGradient()!, context.Input(1));
        var projection = emit.Mul(normalised, Mean(emit.Mul(scaled, normalised), gradientAxes));
        var centredGradient = emit.Sub(emit.Sub(scaled, Mean(scaled, gradientAxes)), projection);
        context.AddInputGradient(0, emit.Mul(inverseStd, centredGradient));
    }
}
