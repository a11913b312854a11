using System.Numerics.Tensors;

namespace CamService.Inference.Methods;

/// <summary>Grad-CAM (arXiv 1610.02391): w_k = spatial mean of ∂y_c/∂A_k.</summary>
public sealed class GradCam : ChannelWeightedCam
{
    public override string Name => "gradcam";

    public override string Description => "Grad-CAM (Selvaraju et al., arXiv 1610.02391): channels weighted by the spatial mean of their gradient.";

    protected override void ComputeWeights(in CamContext input, Span<float> weights)
    {
        for (var k = 0; k < input.Channels; k++)
        {
            weights[k] = TensorPrimitives.Sum(input.GradientChannel(k)) / input.Positions;
        }
    }
}
