using System.Numerics.Tensors;

namespace CamService.Inference.Methods;

/// <summary>XGrad-CAM (arXiv 2008.02312): w_k = Σ_ij g·A_k / (Σ_ij A_k + ε), as pytorch-grad-cam computes it.</summary>
public sealed class XGradCam : ChannelWeightedCam
{
    const float Epsilon = 1e-7f;

    public override string Name => "xgradcam";

    public override string Description =>
        "XGrad-CAM (Fu et al., arXiv 2008.02312): channels weighted by their gradient averaged over the channel's own activation.";

    protected override void ComputeWeights(in CamContext input, Span<float> weights)
    {
        for (var k = 0; k < input.Channels; k++)
        {
            var activations = input.ActivationChannel(k);
            weights[k] = TensorPrimitives.Dot(input.GradientChannel(k), activations) / (TensorPrimitives.Sum(activations) + Epsilon);
        }
    }
}
