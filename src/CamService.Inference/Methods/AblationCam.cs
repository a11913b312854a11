using System.Buffers;
using System.Numerics.Tensors;

namespace CamService.Inference.Methods;

/// <summary>
/// Ablation-CAM (Desai &amp; Ramaswamy, WACV 2020), as pytorch-grad-cam computes it: w_k = (y − y_k) / y, where y is
/// the target's score and y_k the score with channel k of the activations zeroed.
/// <para>
/// Where the head is affine in the activations (pooling and fully connected layers: resnet50, efficientnet_b0),
/// y − y_k is exactly Σ_ij ∂y/∂A_k(i,j) · A_k(i,j), which the gradients of the one run already give, so the method
/// costs no more than Grad-CAM. Any other head is re-evaluated with one channel zeroed per batch item.
/// </para>
/// <para>
/// Channels are zeroed as the paper and the issue say. pytorch-grad-cam zeroes them too when the layer's smallest
/// activation is 0 (after a ReLU: resnet50, densenet121), but puts min − 1e7 where activations go negative
/// (efficientnet_b0's SiLU), which measures the head far outside anything it was trained on.
/// </para>
/// </summary>
public sealed class AblationCam : ChannelWeightedCam
{
    public override string Name => "ablationcam";

    public override string Description =>
        "Ablation-CAM (Desai & Ramaswamy, WACV 2020, doi 10.1109/WACV45572.2020.9093360): channels weighted by how much the target's score drops when each is zeroed; " +
        "free where the head is linear, else batched runs of the head.";

    public override CostClass Cost => CostClass.HeadOnly;

    protected override void ComputeWeights(in CamContext input, Span<float> weights)
    {
        var model = input.RequireModel(Name);
        if (model.HeadIsLinear && input.Options.AblationClosedForm)
        {
            for (var k = 0; k < input.Channels; k++)
            {
                weights[k] = TensorPrimitives.Dot(input.GradientChannel(k), input.ActivationChannel(k));
            }
        }
        else
        {
            ScoreDrops(input, model, weights);
        }
        // Relative to the score, as pytorch-grad-cam's weights; a score of exactly zero leaves the drops as they are.
        var score = input.Logits[input.Target];
        if (score != 0)
        {
            TensorPrimitives.Divide(weights, score, weights);
        }
    }

    /// <summary>y − y_k for every channel, from batched head runs with channel k zeroed in batch item k.</summary>
    static void ScoreDrops(in CamContext input, ICamModel model, Span<float> drops)
    {
        var size = input.Activations.Length;
        var classes = model.Classes;
        var batch = Math.Clamp(input.Options.BatchSize, 1, input.Channels);
        var activations = ArrayPool<float>.Shared.Rent(batch * size);
        var logits = ArrayPool<float>.Shared.Rent(batch * classes);
        try
        {
            var score = input.Logits[input.Target];
            // Each batch item is a copy of the activations; between batches only the zeroed channel is put back.
            for (var i = 0; i < batch; i++)
            {
                input.Activations.CopyTo(activations.AsSpan(i * size, size));
            }
            for (var first = 0; first < input.Channels; first += batch)
            {
                input.CancellationToken.ThrowIfCancellationRequested();
                var count = Math.Min(batch, input.Channels - first);
                for (var i = 0; i < count; i++)
                {
                    ChannelOf(activations, i, first + i, input).Clear();
                }
                model.EvaluateHead(activations.AsMemory(0, count * size), count, logits.AsSpan(0, count * classes), input.CancellationToken);
                for (var i = 0; i < count; i++)
                {
                    drops[first + i] = score - logits[i * classes + input.Target];
                    input.ActivationChannel(first + i).CopyTo(ChannelOf(activations, i, first + i, input));
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(activations);
            ArrayPool<float>.Shared.Return(logits);
        }
    }

    static Span<float> ChannelOf(float[] batch, int item, int channel, in CamContext input) =>
        batch.AsSpan(item * input.Activations.Length + channel * input.Positions, input.Positions);
}
