namespace CamService.Onnx.Gradients.Rules.Shape;

/// <summary>
/// Dropout in an inference graph is the identity (its mask output carries no gradient), and so is one in training mode
/// whose ratio is 0: torchvision 0.14's Swin calls F.dropout without training=False, which exports training_mode = true.
/// </summary>
public sealed class DropoutRule : UnaryGradientRule
{
    public override string OpType => "Dropout";

    public override void Backward(GradientContext context)
    {
        // Opset 12+ takes ratio as input 1 and training_mode (a bool) as input 2; a graph that drops units while explaining is an error.
        if (context.ConstantInts(2) is [not 0] && context.ConstantFloats(1) is not [0f])
        {
            throw context.Unsupported("Dropout runs in training mode with a ratio that is not 0; export the model in eval mode");
        }
        context.AddInputGradient(0, context.OutputGradient()!);
    }
}
