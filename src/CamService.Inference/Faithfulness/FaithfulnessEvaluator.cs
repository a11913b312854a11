using System.Buffers;
using System.Diagnostics;
using System.Numerics.Tensors;
using CamService.Inference.Explanations;
using CamService.Inference.Methods;

namespace CamService.Inference.Faithfulness;

/// <summary>
/// Scores how faithful a map is to the model it explains, in the model's input space: the preprocessed image
/// is perturbed by the map (<see cref="InputMap"/>: upsampled to H×W and normalised to [0, 1]) and the model
/// is run again on the perturbed copies, in batches, the target's softmax probability read from each.
/// <list type="bullet">
/// <item><b>Average Drop</b> and <b>Increase in Confidence</b> (Chattopadhyay et al., Grad-CAM++, arXiv 1710.11063):
/// Y the probability on the image, O on the image times the map, element-wise in the preprocessed tensor;
/// drop = max(0, Y − O) / Y × 100 (percent), increase = O &gt; Y. One forward pass.</item>
/// <item><b>Deletion</b> (Petsiuk et al., RISE, arXiv 1806.07421): pixels ordered by the map, highest first (ties by
/// index); point i of <c>steps</c> has the first ⌊i·P/steps⌋ of the P pixels, all channels, set to 0 — the
/// dataset mean after normalisation, RISE's torch.zeros_like substrate. Point 0 is Y (no forward pass); a
/// faithful map makes the curve fall fast, so lower area is better.</item>
/// <item><b>Insertion</b> (the same paper): the same order, starting from a blurred copy of the image
/// (<see cref="GaussianBlur"/>) and putting back the original pixels; the last point is the image itself, Y
/// (no forward pass). A faithful map makes the curve rise fast, so higher area is better.</item>
/// </list>
/// Each area is the trapezoid rule over x = i/steps in [0, 1]. Forward passes: 1 for the drop, steps each for
/// deletion and insertion.
/// </summary>
public static class FaithfulnessEvaluator
{
    /// <summary>What deletion puts in place of a pixel: 0, the dataset mean once the image is normalised.</summary>
    public const float Baseline = 0;

    /// <summary>
    /// Scores <paramref name="cam"/> for <paramref name="target"/> on <paramref name="image"/> (one preprocessed
    /// image in the model's layout), whose target probability the caller has from the model's run already.
    /// Stops between batches, and a run between operators, once <paramref name="cancellationToken"/> fires.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    /// <exception cref="NonFiniteOutputException">The model gave NaN or infinity for a perturbed image.</exception>
    public static FaithfulnessScores Evaluate(ICamModel model, ReadOnlySpan<float> image, CamMap cam, int target, float probability,
        FaithfulnessMetrics metrics, FaithfulnessOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(cam);
        options ??= FaithfulnessOptions.Default;
        var layout = ImageLayout.Of(model);
        if (image.Length != layout.Length)
        {
            throw new ArgumentException($"The image has {image.Length} values, not the model's {layout.Length}.", nameof(image));
        }
        var steps = options.Steps;
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(target);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(target, model.Classes);

        var clock = Stopwatch.StartNew();
        var map = new float[layout.Pixels];
        InputMap.Fill(cam.Data, cam.Height, cam.Width, map, layout.Height, layout.Width);
        var order = metrics.HasFlag(FaithfulnessMetrics.Deletion) || metrics.HasFlag(FaithfulnessMetrics.Insertion) ? Order(map) : [];
        var blurred = metrics.HasFlag(FaithfulnessMetrics.Insertion) ? new float[layout.Length] : null;
        if (blurred is not null)
        {
            GaussianBlur.Apply(image, layout, blurred);
        }

        // Each perturbed image is filled when its batch comes, so memory is one batch whatever the steps.
        var jobs = Jobs(metrics, steps);
        var results = Run(model, image, layout, map, order, blurred, jobs, steps, target, options.BatchSize, cancellationToken);
        return Scores(results, metrics, probability, steps, clock.Elapsed.TotalMilliseconds);
    }

    /// <summary>The perturbed images to score, in the order their results are read: the drop's, deletion's points, insertion's.</summary>
    static List<(FaithfulnessMetrics Metric, int Point)> Jobs(FaithfulnessMetrics metrics, int steps)
    {
        var jobs = new List<(FaithfulnessMetrics Metric, int Point)>();
        if (metrics.HasFlag(FaithfulnessMetrics.Drop))
        {
            jobs.Add((FaithfulnessMetrics.Drop, 0));
        }
        if (metrics.HasFlag(FaithfulnessMetrics.Deletion))
        {
            jobs.AddRange(Enumerable.Range(1, steps).Select(i => (FaithfulnessMetrics.Deletion, i)));
        }
        if (metrics.HasFlag(FaithfulnessMetrics.Insertion))
        {
            jobs.AddRange(Enumerable.Range(0, steps).Select(i => (FaithfulnessMetrics.Insertion, i)));
        }

        return jobs;
    }

    /// <summary>The target's probability for each job's image, made and run a batch at a time.</summary>
    static float[] Run(ICamModel model, ReadOnlySpan<float> image, ImageLayout layout, float[] map, int[] order, float[]? blurred,
        List<(FaithfulnessMetrics Metric, int Point)> jobs, int steps, int target, int batchSize, CancellationToken cancellationToken)
    {
        var results = new float[jobs.Count];
        var batch = Math.Clamp(batchSize, 1, Math.Max(1, jobs.Count));
        var classes = model.Classes;
        var images = ArrayPool<float>.Shared.Rent(batch * layout.Length);
        var logits = ArrayPool<float>.Shared.Rent(batch * classes);
        try
        {
            for (var first = 0; first < jobs.Count; first += batch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var count = Math.Min(batch, jobs.Count - first);
                for (var j = 0; j < count; j++)
                {
                    var (metric, point) = jobs[first + j];
                    var perturbed = images.AsSpan(j * layout.Length, layout.Length);
                    var changed = order.AsSpan(0, (int)((long)point * layout.Pixels / steps));
                    switch (metric)
                    {
                        case FaithfulnessMetrics.Drop:
                            layout.Multiply(image, map, perturbed);
                            break;
                        case FaithfulnessMetrics.Deletion:
                            image.CopyTo(perturbed);
                            layout.FillPixels(changed, Baseline, perturbed);
                            break;
                        default:
                            blurred!.CopyTo(perturbed);
                            layout.CopyPixels(image, changed, perturbed);
                            break;
                    }
                }
                model.Forward(images.AsMemory(0, count * layout.Length), count, logits.AsSpan(0, count * classes), cancellationToken);
                for (var j = 0; j < count; j++)
                {
                    results[first + j] = Probability(logits.AsSpan(j * classes, classes), target);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(images);
            ArrayPool<float>.Shared.Return(logits);
        }

        return results;
    }

    static FaithfulnessScores Scores(float[] results, FaithfulnessMetrics metrics, float probability, int steps, double milliseconds)
    {
        double? drop = null;
        bool? increase = null;
        float[]? deletion = null, insertion = null;
        var next = 0;
        if (metrics.HasFlag(FaithfulnessMetrics.Drop))
        {
            var masked = results[next++];
            // A probability that rounds to 0 has nothing to drop.
            drop = probability > 0 ? Math.Max(0, probability - masked) / probability * 100 : 0;
            increase = masked > probability;
        }
        if (metrics.HasFlag(FaithfulnessMetrics.Deletion))
        {
            deletion = [probability, .. results.AsSpan(next, steps)];
            next += steps;
        }
        if (metrics.HasFlag(FaithfulnessMetrics.Insertion))
        {
            insertion = [.. results.AsSpan(next, steps), probability];
        }
        return new FaithfulnessScores(drop, increase, deletion is null ? null : Area(deletion), insertion is null ? null : Area(insertion),
            deletion, insertion, results.Length, milliseconds);
    }

    /// <summary>Area under a curve sampled at x = 0, 1/n, …, 1 by the trapezoid rule.</summary>
    public static double Area(ReadOnlySpan<float> curve)
    {
        if (curve.Length < 2)
        {
            throw new ArgumentException("A curve needs at least two points.", nameof(curve));
        }
        double sum = 0;
        for (var i = 0; i + 1 < curve.Length; i++)
        {
            sum += ((double)curve[i] + curve[i + 1]) / 2;
        }
        return sum / (curve.Length - 1);
    }

    /// <summary>Pixel indices by map value, highest first; equal values by index, so the order does not depend on the sort.</summary>
    static int[] Order(float[] map)
    {
        var order = Enumerable.Range(0, map.Length).ToArray();
        Array.Sort(order, (a, b) => map[a] != map[b] ? map[b].CompareTo(map[a]) : a.CompareTo(b));
        return order;
    }

    /// <summary>The target's softmax probability, from logits less their maximum (exp of a logit in the hundreds overflows).</summary>
    /// <exception cref="NonFiniteOutputException">NaN or infinite logits: no probability, and no JSON form either.</exception>
    static float Probability(Span<float> logits, int target)
    {
        if (!TensorPrimitives.IsFiniteAll(logits))
        {
            throw new NonFiniteOutputException("logits", "The model produced NaN or infinite logits for a perturbed copy of this image, so its map cannot be scored.");
        }
        TensorPrimitives.Subtract(logits, TensorPrimitives.Max(logits), logits);
        TensorPrimitives.SoftMax(logits, logits);
        return logits[target];
    }
}
