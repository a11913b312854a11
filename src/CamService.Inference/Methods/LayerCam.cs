using System.Buffers;
using System.Numerics.Tensors;

namespace CamService.Inference.Methods;

/// <summary>
/// LayerCAM (Jiang et al., IEEE TIP 2021, doi 10.1109/TIP.2021.3089943): map = ReLU(Σ_k ReLU(g_k) ⊙ A_k),
/// each position weighted by its own positive gradient.
/// </summary>
public sealed class LayerCam : CamMethod
{
    public override string Name => "layercam";

    public override string Description =>
        "LayerCAM (Jiang et al., IEEE TIP 2021, doi 10.1109/TIP.2021.3089943): activations multiplied element-wise by their positive gradients, summed over channels.";

    public override void Compute(in CamContext input, Span<float> map)
    {
        var rented = ArrayPool<float>.Shared.Rent(input.Positions);
        try
        {
            var positive = rented.AsSpan(0, input.Positions);
            map.Clear();
            for (var k = 0; k < input.Channels; k++)
            {
                TensorPrimitives.Max(input.GradientChannel(k), 0f, positive);
                TensorPrimitives.MultiplyAdd(positive, input.ActivationChannel(k), map, map);
            }
            TensorPrimitives.Max(map, 0f, map);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
    }
}
