using System.Numerics.Tensors;

namespace CamService.Inference.Methods;

/// <summary>
/// HiResCAM (arXiv 2011.08891): map = ReLU(Σ_k g_k ⊙ A_k). Element-wise rather than channel-weighted,
/// so the map is exactly the target score's first-order attribution to each position.
/// </summary>
public sealed class HiResCam : CamMethod
{
    public override string Name => "hirescam";

    public override string Description =>
        "HiResCAM (Draelos & Carin, arXiv 2011.08891): activations multiplied element-wise by their gradients, summed over channels.";

    public override void Compute(in CamContext input, Span<float> map)
    {
        map.Clear();
        for (var k = 0; k < input.Channels; k++)
        {
            TensorPrimitives.MultiplyAdd(input.GradientChannel(k), input.ActivationChannel(k), map, map);
        }
        TensorPrimitives.Max(map, 0f, map);
    }
}
