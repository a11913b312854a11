using System.Buffers;
using System.Numerics.Tensors;

namespace CamService.Inference.Methods;

/// <summary>
/// Score-CAM (Wang et al., arXiv 1910.01279), as pytorch-grad-cam computes it: each channel map is upsampled to
/// the input size (bilinear with aligned corners, its torch.nn.UpsamplingBilinear2d), scaled to [0, 1]
/// ((A − min) / (max − min + 1e-8)) and multiplied into the preprocessed image; the model's score for the target
/// on each masked image, softmaxed over the channels, weighs the channel.
/// <para>
/// With <see cref="MethodOptions.ScoreCamChannels"/> = N only the N channels of highest mean activation get a
/// forward pass, and the softmax runs over their N scores: the weights are the full method's restricted to those
/// channels and renormalised, as if the others had scored −∞. That keeps the map only where the best-scoring
/// channels are among the most active ones, which is why the default is all (see the option for figures).
/// </para>
/// </summary>
public sealed class ScoreCam : ChannelWeightedCam
{
    /// <summary>Keeps the scaling finite for a constant channel; pytorch-grad-cam's constant.</summary>
    const float Epsilon = 1e-8f;

    public override string Name => "scorecam";

    public override string Description =>
        "Score-CAM (Wang et al., arXiv 1910.01279): channels weighted by the softmax of the target's score on the image masked " +
        "by each upsampled channel; one forward pass per channel, all channels by default (an option takes the N most active).";

    public override CostClass Cost => CostClass.ManyForwards;

    public override bool UsesGradients => false;

    protected override void ComputeWeights(in CamContext input, Span<float> weights)
    {
        var model = input.RequireModel(Name);
        var chosen = Chosen(input);
        var imageShape = model.ImageShape;
        var channelsFirst = imageShape[0] == 3;
        var (height, width) = channelsFirst ? (imageShape[1], imageShape[2]) : (imageShape[0], imageShape[1]);
        var imageLength = input.Image.Length;
        var batch = Math.Clamp(input.Options.BatchSize, 1, chosen.Length);
        var classes = model.Classes;

        var images = ArrayPool<float>.Shared.Rent(batch * imageLength);
        var logits = ArrayPool<float>.Shared.Rent(batch * classes);
        var mask = ArrayPool<float>.Shared.Rent(height * width + input.Height * width);
        var scores = new float[chosen.Length];
        try
        {
            var upsampling = new Upsampling(input.Height, input.Width, height, width);
            for (var first = 0; first < chosen.Length; first += batch)
            {
                input.CancellationToken.ThrowIfCancellationRequested();
                var count = Math.Min(batch, chosen.Length - first);
                for (var i = 0; i < count; i++)
                {
                    var planeMask = mask.AsSpan(0, height * width);
                    upsampling.Apply(input.ActivationChannel(chosen[first + i]), mask.AsSpan(height * width, input.Height * width), planeMask);
                    Normalise(input.ActivationChannel(chosen[first + i]), planeMask);
                    Multiply(input.Image, planeMask, images.AsSpan(i * imageLength, imageLength), channelsFirst);
                }
                model.Forward(images.AsMemory(0, count * imageLength), count, logits.AsSpan(0, count * classes), input.CancellationToken);
                for (var i = 0; i < count; i++)
                {
                    scores[first + i] = logits[i * classes + input.Target];
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(images);
            ArrayPool<float>.Shared.Return(logits);
            ArrayPool<float>.Shared.Return(mask);
        }

        // Less the largest first: exp of a score in the hundreds overflows a float.
        TensorPrimitives.Subtract(scores, TensorPrimitives.Max(scores), scores);
        TensorPrimitives.SoftMax(scores, scores);
        weights.Clear();
        for (var j = 0; j < chosen.Length; j++)
        {
            weights[chosen[j]] = scores[j];
        }
    }

    /// <summary>Every channel, or the <see cref="MethodOptions.ScoreCamChannels"/> of highest mean activation.</summary>
    static int[] Chosen(in CamContext input)
    {
        var all = Enumerable.Range(0, input.Channels).ToArray();
        var wanted = input.Options.ScoreCamChannels;
        if (wanted <= 0 || wanted >= input.Channels)
        {
            return all;
        }
        var means = new float[input.Channels];
        for (var k = 0; k < input.Channels; k++)
        {
            means[k] = TensorPrimitives.Sum(input.ActivationChannel(k));
        }
        // Highest first; equal means by index, so the choice does not depend on the sort.
        Array.Sort(all, (a, b) => means[a] != means[b] ? means[b].CompareTo(means[a]) : a.CompareTo(b));
        return all[..wanted];
    }

    /// <summary>
    /// (A − min) / (max − min + ε) in place. Bilinear interpolation with aligned corners takes the corners' values
    /// and never leaves their range, so the upsampled map's extremes are the channel's own.
    /// </summary>
    static void Normalise(ReadOnlySpan<float> channel, Span<float> upsampled)
    {
        var (min, max) = (TensorPrimitives.Min(channel), TensorPrimitives.Max(channel));
        TensorPrimitives.Subtract(upsampled, min, upsampled);
        TensorPrimitives.Divide(upsampled, max - min + Epsilon, upsampled);
    }

    /// <summary>The image times the mask, into <paramref name="masked"/>, in the image's layout.</summary>
    static void Multiply(ReadOnlySpan<float> image, ReadOnlySpan<float> mask, Span<float> masked, bool channelsFirst)
    {
        var plane = mask.Length;
        if (channelsFirst)
        {
            for (var c = 0; c < 3; c++)
            {
                TensorPrimitives.Multiply(image.Slice(c * plane, plane), mask, masked.Slice(c * plane, plane));
            }
            return;
        }
        for (var p = 0; p < plane; p++)
        {
            var m = mask[p];
            masked[3 * p] = image[3 * p] * m;
            masked[3 * p + 1] = image[3 * p + 1] * m;
            masked[3 * p + 2] = image[3 * p + 2] * m;
        }
    }

    /// <summary>
    /// Bilinear upsampling with aligned corners (source = output × (in − 1) / (out − 1)), rows first, then columns:
    /// the map's few rows are widened once and each output row blends two of them.
    /// </summary>
    sealed class Upsampling
    {
        readonly (int Low, int High, float Fraction)[] rows;
        readonly (int Low, int High, float Fraction)[] columns;
        readonly int inWidth;
        readonly int outWidth;

        public Upsampling(int inHeight, int inWidth, int outHeight, int outWidth)
        {
            rows = Taps(inHeight, outHeight);
            columns = Taps(inWidth, outWidth);
            this.inWidth = inWidth;
            this.outWidth = outWidth;
        }

        static (int, int, float)[] Taps(int input, int output)
        {
            var scale = output > 1 ? (float)(input - 1) / (output - 1) : 0f;
            var taps = new (int, int, float)[output];
            for (var o = 0; o < output; o++)
            {
                var source = scale * o;
                var low = Math.Min((int)source, input - 1);
                taps[o] = (low, Math.Min(low + 1, input - 1), source - low);
            }
            return taps;
        }

        /// <summary>Upsamples <paramref name="map"/> [inHeight, inWidth] into <paramref name="output"/> [outHeight, outWidth].</summary>
        /// <param name="widened">Scratch of inHeight × outWidth.</param>
        public void Apply(ReadOnlySpan<float> map, Span<float> widened, Span<float> output)
        {
            for (var y = 0; y < map.Length / inWidth; y++)
            {
                var source = map.Slice(y * inWidth, inWidth);
                var row = widened.Slice(y * outWidth, outWidth);
                for (var x = 0; x < outWidth; x++)
                {
                    var (low, high, fraction) = columns[x];
                    row[x] = source[low] + (source[high] - source[low]) * fraction;
                }
            }
            for (var y = 0; y < rows.Length; y++)
            {
                var (low, high, fraction) = rows[y];
                var row = output.Slice(y * outWidth, outWidth);
                TensorPrimitives.Multiply(widened.Slice(low * outWidth, outWidth), 1 - fraction, row);
                TensorPrimitives.MultiplyAdd(widened.Slice(high * outWidth, outWidth), fraction, row, row);
            }
        }
    }
}
