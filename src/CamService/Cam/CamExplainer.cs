using System.Buffers;
using System.Diagnostics;
using System.Numerics.Tensors;
using CamService.Imaging;
using CamService.Inference.Methods;
using CamService.Inference.Runtime;
using CamService.Metrics;
using CamService.Models;
using CamService.Problems;
using Microsoft.ML.OnnxRuntime;

namespace CamService.Cam;

/// <summary>One model's explanation before its pictures are drawn.</summary>
public sealed record Explanation(
    string Model,
    bool Untrained,
    IReadOnlyList<Prediction> Predictions,
    TargetScore Target,
    string Method,
    CamMap Cam,
    InputGeometry Geometry,
    Timings Timings);

/// <summary>
/// Explains one decoded image with each requested model: preprocess, one ONNX Runtime run
/// (logits, activations, gradients), the CAM method, and the PNGs mapped back onto the image.
/// </summary>
public sealed class CamExplainer(ModelRegistry registry, CamMethods methods, CamMetrics metrics, ILogger<CamExplainer> logger)
{
    /// <summary>The ready models a request names, in its order (all ready models when it names none).</summary>
    public IReadOnlyList<ModelEntry> Resolve(IReadOnlyList<string>? ids)
    {
        if (ids is null)
        {
            var ready = registry.Ready.ToList();
            return ready.Count > 0
                ? ready
                : throw new RequestException(StatusCodes.Status503ServiceUnavailable, "No model is ready",
                    registry.Entries.Count == 0 ? $"No models were found in {registry.Directory}." : "No model has finished loading successfully; see /health/ready.");
        }
        return ids.Select(id =>
        {
            var entry = registry.Known(id);
            entry.Ready();
            return entry;
        }).ToList();
    }

    /// <summary>Checks the target against every model before any work is done.</summary>
    public static int? TargetIndex(ModelEntry entry, TargetChoice target)
    {
        var model = entry.Model!;
        if (target.Index is { } index)
        {
            return index < model.NumClasses
                ? index
                : throw RequestException.BadField("target", $"Class {index} is out of range for model '{entry.Id}' ({model.NumClasses} classes).");
        }
        if (target.Label is { } label)
        {
            var found = model.Labels?.ToList().IndexOf(label) ?? -1;
            return found >= 0
                ? found
                : throw RequestException.BadField("target", $"Model '{entry.Id}' has no class labelled '{label}' (labels are matched exactly; see /models/{entry.Id}/labels).");
        }
        return null;
    }

    /// <summary>
    /// Preprocesses the image for one model, runs it, and computes the map: everything but the
    /// pictures, which <see cref="Render"/> draws (off the request's thread, while the next model runs).
    /// With <paramref name="underLoad"/>, it runs on the model's session for when runs queue up (see <see cref="CoreLease.UnderLoad"/>).
    /// </summary>
    public Explanation Infer(LoadedImage image, ModelEntry entry, int? targetIndex, CamRequest request, bool underLoad, CancellationToken cancellationToken)
    {
        var model = entry.Model!;
        var method = methods.Find(request.Method)!;
        var p = model.Preprocessing;
        var inputLength = 3 * p.Height * p.Width;
        var input = ArrayPool<float>.Shared.Rent(inputLength);
        try
        {
            var clock = Stopwatch.StartNew();
            var geometry = TensorPreprocessor.Fill(image, p, request.Resize, input.AsSpan(0, inputLength));
            var preprocessMs = clock.Elapsed.TotalMilliseconds;

            clock.Restart();
            long[] targets = [targetIndex ?? -1];
            using var outputs = Run(entry, input.AsMemory(0, inputLength), targets, underLoad, cancellationToken);
            var inference = clock.Elapsed;
            metrics.ModelRan(entry.Id, underLoad, inference);

            // Nothing non-finite may reach the answer: a NaN or an infinity has no JSON form, and a
            // map made from one means nothing.
            var logits = outputs.LogitsOf(0);
            var activations = outputs.ActivationsOf(0);
            var gradients = method.UsesGradients ? outputs.GradientsOf(0, 0) : default;
            NonFiniteOutput.Check(entry.Id, "logits", logits);
            NonFiniteOutput.Check(entry.Id, "activations", activations);
            NonFiniteOutput.Check(entry.Id, "gradients", gradients);
            var chosen = targetIndex ?? TensorPrimitives.IndexOfMax(logits);
            var predictions = TopK(logits, Math.Min(request.TopK, model.NumClasses), i => LabelOf(model, i));

            clock.Restart();
            var map = new float[outputs.Height * outputs.Width];
            method.Compute(new CamInput(activations, gradients, outputs.Channels, outputs.Height, outputs.Width), map);
            NonFiniteOutput.Check(entry.Id, "map", map);
            var camMs = clock.Elapsed.TotalMilliseconds;

            return new Explanation(
                entry.Id,
                model.Info.Weights == Onnx.CamReady.WeightsKind.Random,
                predictions,
                new TargetScore(chosen, LabelOf(model, chosen), logits[chosen]),
                method.Name,
                new CamMap(outputs.Width, outputs.Height, map),
                geometry,
                new Timings(Round(preprocessMs), Round(inference.TotalMilliseconds), Round(camMs), 0));
        }
        finally
        {
            ArrayPool<float>.Shared.Return(input);
        }
    }

    /// <summary>
    /// One ONNX Runtime run that stops between operators once the request is cancelled — by the
    /// client going away or by its deadline — rather than finishing work nobody will read.
    /// </summary>
    CamOutputs Run(ModelEntry entry, Memory<float> input, long[] targets, bool underLoad, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var clock = Stopwatch.StartNew();
        using var runOptions = new RunOptions();
        using var cancel = cancellationToken.Register(() => runOptions.Terminate = true);
        try
        {
            var outputs = entry.Model!.Run(input, 1, targets, 1, runOptions, underLoad);
            if (cancellationToken.IsCancellationRequested)
            {
                // Cancelled as the run ended: nobody will read the rest.
                outputs.Dispose();
                cancellationToken.ThrowIfCancellationRequested();
            }
            return outputs;
        }
        catch (OnnxRuntimeException e) when (cancellationToken.IsCancellationRequested)
        {
            logger.LogInformation("{Model}: run stopped after {Milliseconds:F0} ms because its request was cancelled", entry.Id, clock.Elapsed.TotalMilliseconds);
            throw new OperationCanceledException($"The run of '{entry.Id}' was stopped: its request was cancelled.", e, cancellationToken);
        }
    }

    /// <summary>
    /// Draws the pictures <see cref="CamRequest.Outputs"/> asks for at <paramref name="size"/> (see
    /// <see cref="RenderedSize"/>), mapped back through the model's resize or crop; the overlay over the
    /// image shrunk to that size once per request (<see cref="LoadedImage.Display"/>).
    /// </summary>
    public static CamResult Render(LoadedImage image, Explanation explanation, CamRequest request, ImageSize size, int quality)
    {
        var clock = Stopwatch.StartNew();
        var cam = explanation.Cam;
        var format = request.Format ?? AutoFormat(image);
        byte[]? heatmap = null, overlay = null;
        if ((request.Outputs & (ResultParts.Heatmap | ResultParts.Overlay)) != 0)
        {
            var (width, height) = (size.Width, size.Height);
            var projected = ArrayPool<float>.Shared.Rent(width * height);
            try
            {
                var pixels = projected.AsSpan(0, width * height);
                CamRenderer.Project(cam.Data, cam.Height, cam.Width, explanation.Geometry, pixels, width, height);
                if (request.Outputs.HasFlag(ResultParts.Heatmap))
                {
                    heatmap = CamRenderer.HeatmapPng(pixels, width, height, request.Colormap);
                }
                if (request.Outputs.HasFlag(ResultParts.Overlay))
                {
                    overlay = CamRenderer.Overlay(image.Display(width, height), pixels, request.Colormap, request.Alpha, format, quality);
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(projected);
            }
        }
        var renderMs = clock.Elapsed.TotalMilliseconds;

        return new CamResult(explanation.Model, explanation.Untrained, explanation.Predictions, explanation.Target, explanation.Method,
            request.Outputs.HasFlag(ResultParts.Cam) ? cam : null,
            heatmap,
            format == OverlayFormat.Png ? overlay : null,
            format == OverlayFormat.Jpeg ? overlay : null,
            format == OverlayFormat.Webp ? overlay : null,
            explanation.Timings with { Render = Round(renderMs) });
    }

    /// <summary>The overlay's encoding when the request leaves it to the service: PNG for a PNG upload, JPEG for a photo that was lossy already.</summary>
    public static OverlayFormat AutoFormat(LoadedImage image) => image.Format == "png" ? OverlayFormat.Png : OverlayFormat.Jpeg;

    /// <summary>
    /// How large the decoded photo must stay: the overlay's photo at least the rendered size (see
    /// <see cref="LoadedImage.Display"/>; the heatmap needs no pixels), and every model's input keeps
    /// <see cref="ImageReduction.ModelGap"/> over what it resamples the photo to.
    /// </summary>
    public static DecodeHint DecodeHintFor(CamRequest request, IEnumerable<ModelEntry> models)
    {
        var longSide = !request.Outputs.HasFlag(ResultParts.Overlay) ? 0
            : request.MaxSize == 0 ? int.MaxValue
            : request.MaxSize;
        var modelSide = models.Select(m => m.Model!.Preprocessing).Max(p => Math.Max(p.ResizeSize, Math.Max(p.Width, p.Height)));
        return new DecodeHint(longSide, (int)Math.Ceiling(ImageReduction.ModelGap * modelSide));
    }

    /// <summary>
    /// The size pictures are drawn at: the image's, or with its long side <paramref name="maxSize"/> and the same
    /// aspect (each side rounded, at least 1) when that is smaller; 0 means the image's own size.
    /// </summary>
    public static ImageSize RenderedSize(int width, int height, int maxSize)
    {
        var longer = Math.Max(width, height);
        if (maxSize == 0 || longer <= maxSize)
        {
            return new ImageSize(width, height);
        }
        var scale = (double)maxSize / longer;
        return new ImageSize(Math.Max(1, (int)Math.Round(width * scale)), Math.Max(1, (int)Math.Round(height * scale)));
    }

    /// <summary>
    /// The k most probable classes, most probable first. Ordered by logit, then by index: softmax
    /// rounds near-equal logits (an untrained model's) to the same probability, and an unstable sort
    /// of those would put some other class first than the top-1 that is explained.
    /// </summary>
    internal static List<Prediction> TopK(ReadOnlySpan<float> logits, int k, Func<int, string> labelOf)
    {
        // Softmax of the logits less their maximum: exp of a logit in the hundreds overflows a float.
        var probabilities = new float[logits.Length];
        TensorPrimitives.Subtract(logits, TensorPrimitives.Max(logits), probabilities);
        TensorPrimitives.SoftMax(probabilities, probabilities);
        var scores = logits.ToArray();
        var order = Enumerable.Range(0, scores.Length).ToArray();
        Array.Sort(order, (a, b) => scores[a] != scores[b] ? scores[b].CompareTo(scores[a]) : a.CompareTo(b));
        return order.Take(k).Select(i => new Prediction(i, labelOf(i), probabilities[i])).ToList();
    }

    static string LabelOf(CamReadyModel model, int index) => model.Labels is { } labels ? labels[index] : $"class {index}";

    static double Round(double milliseconds) => Math.Round(milliseconds, 2);
}
