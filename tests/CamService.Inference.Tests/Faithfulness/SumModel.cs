using CamService.Inference.Methods;

namespace CamService.Inference.Tests.Faithfulness;

/// <summary>
/// A model computed by hand, for checking the metrics' arithmetic: logit 0 is the sum of the first channel over
/// every pixel, logit 1 is 0, so the probability of class 0 is the logistic function of that sum. Counts its
/// forward passes and their batch sizes.
/// </summary>
public sealed class SumModel(int height, int width, bool channelsFirst) : ICamModel
{
    public int Classes => 2;

    public IReadOnlyList<int> ActivationShape => [1, height, width];

    public IReadOnlyList<int> ImageShape => channelsFirst ? [3, height, width] : [height, width, 3];

    public bool HeadIsLinear => true;

    public int Images { get; private set; }

    public List<int> Batches { get; } = [];

    public void EvaluateHead(ReadOnlyMemory<float> activations, int batch, Span<float> logits, CancellationToken cancellationToken) =>
        throw new NotSupportedException("The metrics run whole forward passes only.");

    public void Forward(ReadOnlyMemory<float> images, int batch, Span<float> logits, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var length = 3 * height * width;
        for (var n = 0; n < batch; n++)
        {
            var image = images.Span.Slice(n * length, length);
            var sum = 0f;
            for (var p = 0; p < height * width; p++)
            {
                sum += image[channelsFirst ? p : 3 * p];
            }
            logits[2 * n] = sum;
            logits[2 * n + 1] = 0;
        }
        Images += batch;
        Batches.Add(batch);
    }

    /// <summary>The probability of class 0 for a first-channel sum.</summary>
    public static float Probability(double sum) => (float)(1 / (1 + Math.Exp(-sum)));

    /// <summary>An image in this model's layout with <paramref name="first"/> in the first channel and <paramref name="others"/> in the other two.</summary>
    public float[] Image(float[] first, float others)
    {
        var image = new float[3 * first.Length];
        for (var p = 0; p < first.Length; p++)
        {
            for (var c = 0; c < 3; c++)
            {
                image[channelsFirst ? c * first.Length + p : 3 * p + c] = c == 0 ? first[p] : others;
            }
        }
        return image;
    }
}
