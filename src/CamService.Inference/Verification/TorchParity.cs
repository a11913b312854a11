using CamService.Inference.Methods;
using CamService.Inference.Runtime;

namespace CamService.Inference.Verification;

/// <summary>How far a CAM-ready model's run is from torch autograd on the same weights, input and layer.</summary>
/// <param name="LogitsError">max |Δ| / max |torch| over the logits.</param>
/// <param name="ActivationsError">The same over the activations.</param>
/// <param name="GradientsError">The worst, over images and targets, of max |Δ| / max |torch| of one image's gradient for one target.</param>
/// <param name="GradCamCorrelation">The lowest Pearson correlation of a Grad-CAM map with torch's (pytorch-grad-cam's formula on torch's tensors).</param>
/// <param name="Top1Agrees">Whether each image's top-1 class (a negative target) is the one torch chose.</param>
public sealed record ParityReport(double LogitsError, double ActivationsError, double GradientsError, double GradCamCorrelation, bool Top1Agrees)
{
    /// <summary>The bar: gradients within 1e-3 of torch's, Grad-CAM maps correlated at 0.999 or more.</summary>
    public bool Passed(double gradientTolerance = 1e-3, double correlation = 0.999) =>
        GradientsError <= gradientTolerance && GradCamCorrelation >= correlation && Top1Agrees;
}

/// <summary>
/// Compares a CAM-ready model with the .npy files tests/python/torch_reference.py writes for it: input, targets, chosen
/// (targets with −1 resolved by torch), logits, activations and gradients folded to [N, T, K, h, w], and gradcam.
/// </summary>
public static class TorchParity
{
    public static ParityReport Compare(CamReadyModel model, string reference)
    {
        Npy Read(string name) => Npy.Read(Path.Combine(reference, $"{name}.npy"));
        var input = Read("input");
        var targets = Read("targets");
        var chosen = Read("chosen").Longs!;
        var (batch, perImage) = ((int)targets.Shape[0], (int)targets.Shape[1]);
        using var outputs = model.Run(input.Floats!, batch, targets.Longs!, perImage);

        var torchGradients = Read("gradients").Floats!;
        var torchMaps = Read("gradcam").Floats!;
        var size = outputs.Channels * outputs.Height * outputs.Width;
        var positions = outputs.Height * outputs.Width;
        double gradientsError = 0, correlation = 1;
        var map = new float[positions];
        var top1Agrees = true;
        for (var n = 0; n < batch; n++)
        {
            for (var t = 0; t < perImage; t++)
            {
                var slot = n * perImage + t;
                gradientsError = Math.Max(gradientsError, RelativeMaxError(outputs.GradientsOf(n, t), torchGradients.AsSpan(slot * size, size)));
                new GradCam().Compute(new CamContext(outputs.ActivationsOf(n), outputs.GradientsOf(n, t), outputs.Channels, outputs.Height, outputs.Width,
                    (int)chosen[slot], outputs.LogitsOf(n), default), map);
                correlation = Math.Min(correlation, Correlation(map, torchMaps.AsSpan(slot * positions, positions)));
                if (targets.Longs![slot] < 0)
                {
                    top1Agrees &= System.Numerics.Tensors.TensorPrimitives.IndexOfMax(outputs.LogitsOf(n)) == chosen[slot];
                }
            }
        }
        return new ParityReport(
            RelativeMaxError(outputs.Logits, Read("logits").Floats),
            RelativeMaxError(outputs.Activations, Read("activations").Floats),
            gradientsError,
            correlation,
            top1Agrees);
    }

    /// <summary>max |actual − expected| / max |expected|.</summary>
    public static double RelativeMaxError(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        if (actual.Length != expected.Length)
        {
            throw new InvalidDataException($"The model gives {actual.Length} values where torch gave {expected.Length}.");
        }
        double worst = 0, scale = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs((double)actual[i] - expected[i]));
            scale = Math.Max(scale, Math.Abs((double)expected[i]));
        }
        return worst / Math.Max(scale, 1e-30);
    }

    /// <summary>Pearson correlation; 1 for two constant maps that are equal, 0 for a constant against a varying one.</summary>
    public static double Correlation(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double meanA = 0, meanB = 0;
        for (var i = 0; i < a.Length; i++)
        {
            meanA += a[i];
            meanB += b[i];
        }
        meanA /= a.Length;
        meanB /= b.Length;
        double cov = 0, varA = 0, varB = 0;
        for (var i = 0; i < a.Length; i++)
        {
            var (da, db) = (a[i] - meanA, b[i] - meanB);
            cov += da * db;
            varA += da * da;
            varB += db * db;
        }
        if (varA == 0 || varB == 0)
        {
            return varA == varB && RelativeMaxError(a, b) < 1e-6 ? 1 : 0;
        }
        return cov / Math.Sqrt(varA * varB);
    }
}
