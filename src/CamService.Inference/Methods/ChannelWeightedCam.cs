using System.Buffers;
using System.Numerics.Tensors;

namespace CamService.Inference.Methods;

/// <summary>
/// The shape most CAM methods share: one weight per channel, map = ReLU(Σ_k w_k · A_k). A method
/// of this kind is its weight formula alone (as in pytorch-grad-cam's get_cam_weights).
/// </summary>
public abstract class ChannelWeightedCam : CamMethod
{
    /// <summary>Writes one weight per channel into <paramref name="weights"/>.</summary>
    protected abstract void ComputeWeights(in CamContext input, Span<float> weights);

    public sealed override void Compute(in CamContext input, Span<float> map)
    {
        var rented = ArrayPool<float>.Shared.Rent(input.Channels);
        try
        {
            var weights = rented.AsSpan(0, input.Channels);
            ComputeWeights(input, weights);
            map.Clear();
            for (var k = 0; k < input.Channels; k++)
            {
                TensorPrimitives.MultiplyAdd(input.ActivationChannel(k), weights[k], map, map);
            }
            TensorPrimitives.Max(map, 0f, map);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
    }
}
