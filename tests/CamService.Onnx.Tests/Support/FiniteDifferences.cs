using CamService.Onnx.CamReady;
using CamService.Testing;
using Onnx;

namespace CamService.Onnx.Tests.Support;

/// <summary>How far a CAM-ready model's outputs are from the plain model and from finite differences.</summary>
/// <param name="LogitsError">Relative max error of <c>logits</c> against the plain model's scores.</param>
/// <param name="ActivationsError">Relative max error of <c>activations</c> against the input.</param>
/// <param name="GradientError">The worst, over images and targets, of max |analytic − numeric| / max |numeric|.</param>
/// <param name="SmallestScale">The smallest max |numeric| of an image and target: zero would make the check vacuous.</param>
/// <param name="Worst">Where <paramref name="GradientError"/> occurs, for the failure message.</param>
public sealed record GradientComparison(double LogitsError, double ActivationsError, double GradientError, double SmallestScale, string Worst);

/// <summary>
/// Compares the <c>gradients</c> of a CAM-ready model whose target layer is its input x with central
/// differences of the plain model. Perturbing one element of image n changes only image n's
/// scores, so a single batched run of the plain model, two rows per element, gives every entry of
/// every Jacobian row; nothing is sampled.
/// </summary>
public static class FiniteDifferences
{
    /// <param name="plain">The source model; <paramref name="scores"/> is the tensor <c>logits</c> should equal.</param>
    /// <param name="camReady">The prepared model, with <c>x</c> as target layer.</param>
    /// <param name="input">The image input's name.</param>
    /// <param name="x">The input values, NCHW.</param>
    /// <param name="shape">The input shape.</param>
    /// <param name="targets">T classes per image, negative for top-1.</param>
    /// <param name="step">The perturbation h.</param>
    public static GradientComparison Compare(ModelProto plain, ModelProto camReady, string input, string scores,
        float[] x, long[] shape, long[][] targetRows, float step)
    {
        var batch = (int)shape[0];
        var perTarget = targetRows[0].Length;
        var targets = targetRows.SelectMany(t => t).ToArray();
        var cam = Ort.Run(camReady,
            [(input, x, shape), (CamReadyContract.Targets, targets, [batch, perTarget])],
            CamReadyContract.Logits, CamReadyContract.Activations, CamReadyContract.Gradients);
        var (logits, activations, gradients) = (cam[0], cam[1], cam[2]);
        var expectedScores = Ort.Run(plain, [(input, x, shape)], scores)[0];
        var classes = (int)logits.Shape[1];
        Assert.Equal([batch, perTarget, .. activations.Shape[1..]], gradients.Shape);

        var perImage = x.Length / batch;
        var rows = new float[2 * x.Length * perImage];
        var steps = new double[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            var image = x.AsSpan(i / perImage * perImage, perImage);
            var plus = rows.AsSpan(2 * i * perImage, perImage);
            var minus = rows.AsSpan((2 * i + 1) * perImage, perImage);
            image.CopyTo(plus);
            image.CopyTo(minus);
            plus[i % perImage] += step;
            minus[i % perImage] -= step;
            // The step actually taken, after rounding to float.
            steps[i] = (double)plus[i % perImage] - minus[i % perImage];
        }
        var perturbed = Ort.Run(plain, [(input, rows, [2L * x.Length, .. shape[1..]])], scores)[0].Values;

        double worst = 0, smallestScale = double.MaxValue;
        var where = "";
        for (var n = 0; n < batch; n++)
        {
            var top1 = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits.Values.AsSpan(n * classes, classes));
            for (var t = 0; t < perTarget; t++)
            {
                var requested = targets[n * perTarget + t];
                var c = requested < 0 ? top1 : (int)requested;
                var analytic = gradients.Values.AsSpan((n * perTarget + t) * perImage, perImage);
                var numeric = new double[perImage];
                for (var e = 0; e < perImage; e++)
                {
                    var row = 2 * (n * perImage + e);
                    numeric[e] = ((double)perturbed[row * classes + c] - perturbed[(row + 1) * classes + c]) / steps[n * perImage + e];
                }
                var scale = numeric.Max(Math.Abs);
                smallestScale = Math.Min(smallestScale, scale);
                for (var e = 0; e < perImage; e++)
                {
                    var error = Math.Abs(analytic[e] - numeric[e]) / Math.Max(scale, 1e-30);
                    if (error > worst)
                    {
                        worst = error;
                        where = $"image {n}, target {requested} (class {c}), element {e}: analytic {analytic[e]:G6}, numeric {numeric[e]:G6}, scale {scale:G3}";
                    }
                }
            }
        }

        return new GradientComparison(
            CamService.Testing.Compare.RelativeMaxError(logits.Values, expectedScores.Values),
            CamService.Testing.Compare.RelativeMaxError(activations.Values, x),
            worst, smallestScale, where);
    }
}
