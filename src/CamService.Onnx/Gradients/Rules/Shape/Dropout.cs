namespace CamService.Onnx.Gradients.Rules.Shape;

/// <summary>Dropout in an inference graph is the identity (its mask output carries no gradient).</summary>
public sealed class DropoutRule : UnaryGradientRule
{
    public override string OpType => "Dropout";

    public override void Backward(GradientContext context)
    {
        // Opset 12+ takes training_mode (a bool) as input 2; a graph that drops units while explaining is an error.
        if (context.ConstantInts(2) is [not 0])
        {
            throw context.Unsupported("Dropout runs in training mode; export the model in eval mode");
        }
        context.AddInputGradient(0, context.OutputGradient()!);
    }
}
