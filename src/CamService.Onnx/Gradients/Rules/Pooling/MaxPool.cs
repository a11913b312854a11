using CamService.Onnx.Graph;

namespace CamService.Onnx.Gradients.Rules.Pooling;

/// <summary>
/// Y = windowed maximum of X. The gradient goes to the element each window picked: the node is
/// asked for its Indices output, and the gradient is scattered (added, where windows overlap) there.
/// </summary>
public sealed class MaxPoolRule : UnaryGradientRule
{
    public override string OpType => "MaxPool";

    public override void Backward(GradientContext context)
    {
        var emit = context.Emit;
        var input = context.Input(0);
        var window = WindowGeometry.Of(context, transposable: false);
        if (context.Node.GetInt("storage_order", 0) != 0)
        {
            throw context.Unsupported("column-major indices (storage_order=1) are not supported");
        }
        if (window.Overlaps && context.Opset < 16)
        {
            throw context.Unsupported(
                $"its windows overlap, and adding their gradients needs ScatterElements with reduction (opset 16); the model uses opset {context.Opset}");
        }

        // Flat indices into the whole input tensor, [N, C, ...out].
        var indices = context.Graph.EnsureOutput(context.Node, 1, $"{emit.Prefix}/{context.Output()}_indices");

        var flatGradient = emit.Reshape(context.OutputGradient()!, emit.Int64s(0, -1));
        var flatIndices = emit.Expand(emit.Reshape(indices, emit.Int64s(1, -1)), emit.Shape(flatGradient));
        var zeros = emit.Zeros(emit.Concat(0, context.TargetCount, emit.Reshape(emit.Size(input), emit.Int64s(1))));

        var scattered = context.Opset switch
        {
            >= 16 => emit.Node("ScatterElements", [zeros, flatIndices, flatGradient], Attributes.Int("axis", 1), Attributes.String("reduction", "add")),
            >= 11 => emit.Node("ScatterElements", [zeros, flatIndices, flatGradient], Attributes.Int("axis", 1)),
            _ => emit.Node("Scatter", [zeros, flatIndices, flatGradient], Attributes.Int("axis", 1)),
        };
        context.AddInputGradient(0, context.ReshapeAsGradientOf(scattered, input));
    }
}
