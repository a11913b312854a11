using CamService.Onnx.Graph;

namespace CamService.Onnx.Gradients.Rules.Linear;

/// <summary>
/// Y = alpha * A' B' + beta * C, with A' = transA ? Aᵀ : A and B' likewise:
/// dA' = alpha * g B'ᵀ, dB' = alpha * A'ᵀ g, dC = beta * g summed over C's broadcast axes.
/// Where g is the one-hot seed, g B'ᵀ is B'ᵀ's rows at the chosen classes: a gather, not a pass
/// over the whole classifier weight (on efficientnet_b0 that product was 3 % of the forward pass).
/// </summary>
public sealed class GemmRule : GradientRule
{
    public override string OpType => "Gemm";

    public override void Backward(GradientContext context)
    {
        var emit = context.Emit;
        var gradient = context.OutputGradient()!;
        var alpha = context.Node.GetFloat("alpha", 1f);
        var beta = context.Node.GetFloat("beta", 1f);
        var transA = context.Node.GetInt("transA", 0) != 0;
        var transB = context.Node.GetInt("transB", 0) != 0;
        // alpha · g, emitted only where a product with g itself needs it (the one-hot path scales the rows instead).
        string? scaled = null;
        string ScaledGradient() => scaled ??= Scaled(emit, gradient, alpha);

        if (context.NeedsGradient(0))
        {
            // g [T, M, N] @ B'ᵀ [N, K] = dA' [T, M, K].
            var dA = context.OneHotClasses(gradient) is { } classes
                ? Scaled(emit, PickRows(emit, context.Input(1), transB, classes), alpha)
                : emit.MatMul(ScaledGradient(), transB ? context.Input(1) : emit.Transpose(context.Input(1), 1, 0));
            context.AddInputGradient(0, transA ? emit.Transpose(dA, 0, 2, 1) : dA);
        }
        if (context.NeedsGradient(1))
        {
            // A'ᵀ [K, M] @ g [T, M, N] = dB' [T, K, N].
            var aT = transA ? context.Input(0) : emit.Transpose(context.Input(0), 1, 0);
            var dB = emit.MatMul(aT, ScaledGradient());
            context.AddInputGradient(1, transB ? emit.Transpose(dB, 0, 2, 1) : dB);
        }
        if (context.NeedsGradient(2))
        {
            var dC = Scaled(emit, gradient, beta);
            context.AddInputGradient(2, context.Unbroadcast(dC, context.Input(2), context.Output()));
        }
    }

    /// <summary>Rows [T, M, K] of B'ᵀ at classes [T, M]: B's rows when B is [N, K] (transB), else its columns moved last.</summary>
    internal static string PickRows(NodeEmitter emit, string b, bool transB, string classes) => transB
        ? emit.Gather(b, classes, 0)
        : emit.Transpose(emit.Gather(b, classes, 1), 1, 2, 0);

    static string Scaled(NodeEmitter emit, string tensor, float factor) => factor == 1f ? tensor : emit.Mul(tensor, emit.Scalar(factor));
}
