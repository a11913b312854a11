using System.Numerics.Tensors;

namespace CamService.Inference.Methods;

/// <summary>Grad-CAM (arXiv 1610.02391): w_k = spatial mean of ∂y_c/∂A_k.</summary>
public sealed class GradCam : ChannelWeightedCam
{
    public override string Name => "gradcam";

    protected override void ComputeWeights(in CamInput input, Span<float> weights)
    {
        for (var k = 0; k < input.Channels; k++)
        {
            weights[k] = TensorPrimitives.Sum(input.GradientChannel(k)) / input.Positions;
        }
    }
}
