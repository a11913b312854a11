using System.Buffers;
using System.Diagnostics;
using CamService.Imaging;
using CamService.Inference.Faithfulness;

namespace CamService.Inference.Explanations;

/// <summary>
/// The explanation of images by one model, everything but the pictures, for the web service, the CLI and the warm-up:
/// each image preprocessed into the model's input, one engine call for every method and target, then each map's
/// faithfulness scores on the same input when the spec asks for them.
/// </summary>
public static class ModelExplainer
{
    /// <summary>
    /// One image. With <paramref name="underLoad"/>, on the model's session for when runs queue up; metrics run on the same
    /// cores and under the same <paramref name="cancellationToken"/> as the model's run.
    /// </summary>
    /// <exception cref="NonFiniteOutputException">The model's outputs, or a perturbed copy's, are not finite .</exception>
    /// <exception cref="OperationCanceledException">Cancelled, before or during a run.</exception>
    public static ModelExplanation Explain(ExplainableModel model, LoadedImage image, ExplanationSpec spec, bool underLoad, CancellationToken cancellationToken)
    {
        using var input = new ModelInput(model, [image], spec.Resize);
        var explained = CamEngine.Explain(model, input.Images, 1, spec.Methods, Settings(spec, underLoad), cancellationToken)[0];
        return Complete(model, input, 0, explained, spec, underLoad, keepUnscored: false, cancellationToken);
    }

    /// <summary>
    /// A batch of images in one engine call. A non-finite output fails the whole call, so then each image is explained
    /// alone, to fail only the one at fault; a map whose scores are not finite keeps its map, without scores.
    /// </summary>
    public static ExplainedImage[] ExplainBatch(ExplainableModel model, IReadOnlyList<LoadedImage> images, ExplanationSpec spec)
    {
        using var input = new ModelInput(model, images, spec.Resize);
        var settings = Settings(spec, underLoad: false);
        var results = new ExplainedImage[images.Count];
        if (images.Count > 1)
        {
            try
            {
                var batch = CamEngine.Explain(model, input.Images, images.Count, spec.Methods, settings);
                for (var i = 0; i < images.Count; i++)
                {
                    results[i] = new ExplainedImage(Complete(model, input, i, batch[i], spec, false, keepUnscored: true, CancellationToken.None), null);
                }
                return results;
            }
            catch (NonFiniteOutputException)
            {
                // Explained one by one below.
            }
        }
        var length = model.Model.ImageLength;
        for (var i = 0; i < images.Count; i++)
        {
            try
            {
                var explained = CamEngine.Explain(model, input.Images.Slice(i * length, length), 1, spec.Methods, settings)[0];
                results[i] = new ExplainedImage(Complete(model, input, i, explained, spec, false, keepUnscored: true, CancellationToken.None), null);
            }
            catch (NonFiniteOutputException e)
            {
                results[i] = new ExplainedImage(null, e.Message);
            }
        }
        return results;
    }

    static ExplainSettings Settings(ExplanationSpec spec, bool underLoad) => new() { TopK = spec.TopK, UnderLoad = underLoad, Methods = spec.MethodOptions };

    static ModelExplanation Complete(ExplainableModel model, ModelInput input, int image, ImageExplanation explained, ExplanationSpec spec, bool underLoad,
        bool keepUnscored, CancellationToken cancellationToken)
    {
        FaithfulnessScores?[]? scores = null;
        string?[]? unscored = null;
        if (spec.Metrics != FaithfulnessMetrics.None)
        {
            var options = new FaithfulnessOptions { Steps = spec.MetricSteps, BatchSize = spec.MethodOptions.BatchSize };
            var serving = model.Model.Serving(underLoad);
            scores = new FaithfulnessScores?[explained.Maps.Count];
            unscored = new string?[explained.Maps.Count];
            for (var m = 0; m < scores.Length; m++)
            {
                var map = explained.Maps[m];
                try
                {
                    scores[m] = FaithfulnessEvaluator.Evaluate(serving, input.Of(image), map.Map, map.Target.Index, map.Probability, spec.Metrics, options,
                        cancellationToken);
                }
                catch (NonFiniteOutputException e) when (keepUnscored)
                {
                    unscored[m] = e.Message;
                }
            }
        }
        return new ModelExplanation(model.Name, model.Untrained, explained.Predictions, explained.Maps, input.Geometries[image], input.PreprocessMs[image],
            explained.InferenceMs, scores, unscored);
    }

    /// <summary>The images preprocessed for the model, contiguous in a pooled buffer, with each one's geometry and time.</summary>
    sealed class ModelInput : IDisposable
    {
        readonly float[] buffer;
        readonly int length;

        public ModelInput(ExplainableModel model, IReadOnlyList<LoadedImage> images, ResizeMode resize)
        {
            length = model.Model.ImageLength;
            buffer = ArrayPool<float>.Shared.Rent(images.Count * length);
            Images = buffer.AsMemory(0, images.Count * length);
            Geometries = new InputGeometry[images.Count];
            PreprocessMs = new double[images.Count];
            for (var i = 0; i < images.Count; i++)
            {
                var clock = Stopwatch.StartNew();
                Geometries[i] = TensorPreprocessor.Fill(images[i], model.Model.Preprocessing, resize, buffer.AsSpan(i * length, length));
                PreprocessMs[i] = clock.Elapsed.TotalMilliseconds;
            }
        }

        public ReadOnlyMemory<float> Images { get; }

        public InputGeometry[] Geometries { get; }

        public double[] PreprocessMs { get; }

        public ReadOnlySpan<float> Of(int image) => buffer.AsSpan(image * length, length);

        public void Dispose() => ArrayPool<float>.Shared.Return(buffer);
    }
}
