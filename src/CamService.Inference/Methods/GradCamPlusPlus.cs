using System.Buffers;
using System.Numerics.Tensors;

namespace CamService.Inference.Methods;

/// <summary>
/// Grad-CAM++ (arXiv 1710.11063, eq. 19 with the ReLU of eq. 7), as pytorch-grad-cam computes it:
/// w_k = Σ_ij ReLU(g)·α_ij with α = g² / (2g² + (Σ_ij A_k)·g³ + ε).
/// </summary>
public sealed class GradCamPlusPlus : ChannelWeightedCam
{
    const float Epsilon = 1e-6f;

    public override string Name => "gradcam++";

    public override string Description =>
        "Grad-CAM++ (Chattopadhyay et al., arXiv 1710.11063): channels weighted by their positive gradients, each scaled by a higher-order coefficient.";

    protected override void ComputeWeights(in CamContext input, Span<float> weights)
    {
        var rented = ArrayPool<float>.Shared.Rent(3 * input.Positions);
        try
        {
            var positive = rented.AsSpan(0, input.Positions);
            var squared = rented.AsSpan(input.Positions, input.Positions);
            var cubed = rented.AsSpan(2 * input.Positions, input.Positions);
            for (var k = 0; k < input.Channels; k++)
            {
                // ReLU(g)·α with the ReLU taken first: where g ≤ 0 the term is 0/ε = 0, as the paper's ReLU and
                // pytorch-grad-cam's mask make it, and a zero denominator where g < 0 cannot turn it into 0·∞ = NaN.
                TensorPrimitives.Max(input.GradientChannel(k), 0f, positive);
                TensorPrimitives.Multiply(positive, positive, squared);
                TensorPrimitives.Multiply(squared, positive, cubed);
                var activationSum = TensorPrimitives.Sum(input.ActivationChannel(k));
                // Denominator 2g² + ΣA·g³ + ε, written over the squares.
                TensorPrimitives.Multiply(squared, 2f, squared);
                TensorPrimitives.MultiplyAdd(cubed, activationSum, squared, squared);
                TensorPrimitives.Add(squared, Epsilon, squared);
                TensorPrimitives.Divide(cubed, squared, cubed);
                weights[k] = TensorPrimitives.Sum(cubed);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
    }
}
