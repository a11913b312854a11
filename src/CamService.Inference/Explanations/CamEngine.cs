using System.Buffers;
using System.Diagnostics;
using System.Numerics.Tensors;
using CamService.Inference.Methods;
using CamService.Inference.Runtime;
using CamService.Onnx.CamReady;

namespace CamService.Inference.Explanations;

/// <summary>
/// The explanation pipeline after preprocessing, shared by the web service, the CLI, the warm-up and the
/// tests: one model run gives logits, activations and the gradients of every target for every image in a
/// batch; each method then makes its maps from those, asking the model for head evaluations or forward
/// passes where it needs them.
/// </summary>
public static class CamEngine
{
    /// <summary>
    /// Explains <paramref name="imageCount"/> preprocessed images (the model's layout, contiguous) for every
    /// target with every method. A run stops between operators once <paramref name="cancellationToken"/> fires.
    /// </summary>
    /// <exception cref="TargetException">A target the model does not have.</exception>
    /// <exception cref="NonFiniteOutputException">The model gave NaN or infinity for an image.</exception>
    /// <exception cref="MethodUnavailableException">A method needs what the model lacks (its head alone).</exception>
    /// <exception cref="OperationCanceledException">Cancelled, before or during the run.</exception>
    public static IReadOnlyList<ImageExplanation> Explain(CamReadyModel model, string modelName, ReadOnlyMemory<float> images, int imageCount,
        IReadOnlyList<ExplanationTarget> targets, IReadOnlyList<CamMethod> methods, ExplainSettings? settings = null, CancellationToken cancellationToken = default) =>
        Explain(ExplainableModel.Resolve(modelName, model, targets, methods), images, imageCount, methods, settings, cancellationToken);

    /// <summary>
    /// As <see cref="Explain(CamReadyModel, string, ReadOnlyMemory{float}, int, IReadOnlyList{ExplanationTarget}, IReadOnlyList{CamMethod}, ExplainSettings?, CancellationToken)"/>,
    /// for a model whose targets are resolved and whose methods are checked already (<see cref="ExplainableModel.Resolve"/>).
    /// </summary>
    public static IReadOnlyList<ImageExplanation> Explain(ExplainableModel explainable, ReadOnlyMemory<float> images, int imageCount,
        IReadOnlyList<CamMethod> methods, ExplainSettings? settings = null, CancellationToken cancellationToken = default)
    {
        settings ??= ExplainSettings.Default;
        if (explainable.Targets.Count == 0 || methods.Count == 0)
        {
            throw new ArgumentException("At least one target and one method are needed.");
        }
        var (model, modelName, resolved) = (explainable.Model, explainable.Name, explainable.Targets);
        var targetIndices = new long[imageCount * resolved.Count];
        for (var n = 0; n < imageCount; n++)
        {
            for (var t = 0; t < resolved.Count; t++)
            {
                targetIndices[n * resolved.Count + t] = resolved[t] ?? CamReadyContract.TopOne;
            }
        }

        var clock = Stopwatch.StartNew();
        var headInputs = methods.Any(m => m.Cost == CostClass.HeadOnly);
        using var outputs = Run(model, images, imageCount, targetIndices, resolved.Count, settings.UnderLoad, headInputs, cancellationToken);
        var inferenceMs = clock.Elapsed.TotalMilliseconds;

        var imageLength = model.ImageLength;
        var serving = model.Serving(settings.UnderLoad);
        var results = new ImageExplanation[imageCount];
        for (var n = 0; n < imageCount; n++)
        {
            var logits = outputs.LogitsOf(n);
            var activations = outputs.ActivationsOf(n);
            CheckFinite(modelName, "logits", logits);
            CheckFinite(modelName, "activations", activations);
            var probabilities = Softmax(logits);
            var top = TensorPrimitives.IndexOfMax(logits);
            using var imageModel = model.ForImage(serving, outputs, n);
            var maps = new List<MapExplanation>(methods.Count * resolved.Count);
            foreach (var method in methods)
            {
                for (var t = 0; t < resolved.Count; t++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var target = resolved[t] ?? top;
                    var gradients = method.UsesGradients ? outputs.GradientsOf(n, t) : default;
                    CheckFinite(modelName, "gradients", gradients);
                    clock.Restart();
                    var map = new float[outputs.Height * outputs.Width];
                    var context = new CamContext(activations, gradients, outputs.Channels, outputs.Height, outputs.Width, target, logits,
                        images.Span.Slice(n * imageLength, imageLength), imageModel, settings.Methods, cancellationToken);
                    method.Compute(context, map);
                    CheckFinite(modelName, "map", map);
                    maps.Add(new MapExplanation(method.Name, new TargetScore(target, model.LabelOf(target), logits[target]), probabilities[target],
                        new CamMap(outputs.Width, outputs.Height, map), clock.Elapsed.TotalMilliseconds));
                }
            }
            results[n] = new ImageExplanation(TopK(logits, probabilities, Math.Min(settings.TopK, model.NumClasses), model.LabelOf), maps, inferenceMs);
        }
        return results;
    }

    /// <summary>The model's run (<see cref="CancellableRun"/>); cancelled as it ended, its outputs are dropped unread.</summary>
    static CamOutputs Run(CamReadyModel model, ReadOnlyMemory<float> images, int imageCount, long[] targets, int targetsPerImage, bool underLoad,
        bool headInputs, CancellationToken cancellationToken)
    {
        var outputs = CancellableRun.Run("model run",
            runOptions => model.Run(images, imageCount, targets, targetsPerImage, runOptions, underLoad, headInputs), cancellationToken);
        if (cancellationToken.IsCancellationRequested)
        {
            // Cancelled as the run ended: nobody will read the rest.
            outputs.Dispose();
            cancellationToken.ThrowIfCancellationRequested();
        }
        return outputs;
    }

    /// <summary>
    /// Nothing non-finite may reach an answer: a NaN or an infinity has no JSON form, and a map made from one means nothing.
    /// </summary>
    public static void CheckFinite(string model, string output, ReadOnlySpan<float> values)
    {
        if (values.IsEmpty || TensorPrimitives.IsFiniteAll(values))
        {
            return;
        }
        var what = TensorPrimitives.IsNaNAny(values) ? "NaN" : "infinite values";
        throw new NonFiniteOutputException(output, $"Model '{model}' produced {what} in its {output} for this image, so it cannot be explained.");
    }

    /// <summary>Softmax of the logits less their maximum: exp of a logit in the hundreds overflows a float.</summary>
    static float[] Softmax(ReadOnlySpan<float> logits)
    {
        var probabilities = new float[logits.Length];
        TensorPrimitives.Subtract(logits, TensorPrimitives.Max(logits), probabilities);
        TensorPrimitives.SoftMax(probabilities, probabilities);
        return probabilities;
    }

    /// <summary>
    /// The k most probable classes, most probable first. Ordered by logit, then by index: softmax rounds
    /// near-equal logits (an untrained model's) to the same probability, and an unstable sort of those
    /// would put some other class first than the top-1 that is explained.
    /// </summary>
    public static List<Prediction> TopK(ReadOnlySpan<float> logits, float[] probabilities, int k, Func<int, string> labelOf)
    {
        var scores = logits.ToArray();
        var order = Enumerable.Range(0, scores.Length).ToArray();
        Array.Sort(order, (a, b) => scores[a] != scores[b] ? scores[b].CompareTo(scores[a]) : a.CompareTo(b));
        return order.Take(k).Select(i => new Prediction(i, labelOf(i), probabilities[i])).ToList();
    }

    /// <summary><see cref="TopK(ReadOnlySpan{float}, float[], int, Func{int, string})"/> with the probabilities computed here.</summary>
    public static List<Prediction> TopK(ReadOnlySpan<float> logits, int k, Func<int, string> labelOf) => TopK(logits, Softmax(logits), k, labelOf);
}
