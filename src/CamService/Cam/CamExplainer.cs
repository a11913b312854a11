using System.Buffers;
using System.Diagnostics;
using CamService.Imaging;
using CamService.Inference.Explanations;
using CamService.Inference.Faithfulness;
using CamService.Inference.Methods;
using CamService.Inference.Runtime;
using CamService.Metrics;
using CamService.Models;
using CamService.Problems;
using Microsoft.Extensions.Options;

namespace CamService.Cam;

/// <summary>
/// One model's explanation before its pictures are drawn: its predictions, a map per method and target, and, when
/// the request asks for metrics, each map's faithfulness scores in the same order.
/// </summary>
public sealed record Explanation(
    string Model,
    bool Untrained,
    IReadOnlyList<Prediction> Predictions,
    IReadOnlyList<MapExplanation> Maps,
    InputGeometry Geometry,
    double PreprocessMs,
    double InferenceMs,
    IReadOnlyList<FaithfulnessScores>? Faithfulness = null);

/// <summary>
/// Explains one decoded image with each requested model: preprocess, then the engine (one ONNX Runtime run
/// for logits, activations and the gradients of every target, and each method's maps), and the PNGs mapped
/// back onto the image.
/// </summary>
public sealed class CamExplainer(ModelRegistry registry, CamMetrics metrics, IOptions<CamOptions> options, ILogger<CamExplainer> logger)
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
                    registry.Entries.Count == 0 ? "No models were found in the models folder (Models:Directory)." : "No model has finished loading successfully; see /health/ready.");
        }
        return ids.Select(id =>
        {
            var entry = registry.Known(id);
            entry.Ready();
            return entry;
        }).ToList();
    }

    /// <summary>
    /// Checks, before any work is done, that the request's maps are within Cam:MaxMapsPerRequest, that every
    /// model can serve every method, and that every model has every target, each a class of its own (281 and "tabby" would be one map twice).
    /// </summary>
    public void Check(CamRequest request, IReadOnlyList<ModelEntry> models)
    {
        // A list of only commas ("models=,") is present but names nothing (fuzz campaign: these were 500s).
        if (models.Count == 0)
        {
            throw RequestException.BadField("models", "'models' names no model; leave it out to use every ready model.");
        }
        if (request.Targets.Count == 0)
        {
            throw RequestException.BadField("target", "'target' names no class; leave it out for each model's top-1.");
        }
        if (request.Agreement && models.Count < 2)
        {
            throw RequestException.BadField("agreement",
                $"'agreement' compares the maps of two models or more; this request has {models.Count} ({string.Join(", ", models.Select(m => m.Id))}). Name more in 'models'.");
        }
        var maps = models.Count * request.MapsPerModel;
        var limit = options.Value.MaxMapsPerRequest;
        if (maps > limit)
        {
            var message = $"This request asks for {models.Count} model(s) × {request.Methods.Count} method(s) × {request.Targets.Count} target(s) = {maps} maps; " +
                          $"the limit is {limit} (Cam:MaxMapsPerRequest). Send several requests.";
            // Every list that could be shortened is named.
            var fields = new[] { ("models", models.Count), ("method", request.Methods.Count), ("target", request.Targets.Count) }
                .Where(f => f.Item2 > 1).ToDictionary(f => f.Item1, _ => new[] { message });
            throw new RequestException(StatusCodes.Status400BadRequest, "Invalid request", message, fields);
        }
        foreach (var entry in models)
        {
            if (entry.Model!.HeadUnavailable is { } reason && request.Methods.FirstOrDefault(m => m.Cost == CostClass.HeadOnly) is { } needsHead)
            {
                throw MethodUnavailable.Problem(entry.Id, new MethodUnavailableException(needsHead.Name, entry.Id, reason));
            }
            var classes = new Dictionary<int, ExplanationTarget>();
            foreach (var target in request.Targets)
            {
                try
                {
                    if (target.Resolve(entry.Model!, entry.Id) is { } index && !classes.TryAdd(index, target))
                    {
                        throw RequestException.BadField("target",
                            $"Targets '{classes[index]}' and '{target}' are the same class (#{index}) of model '{entry.Id}'; list it once.");
                    }
                }
                catch (TargetException e)
                {
                    throw RequestException.BadField("target", e.Message);
                }
            }
        }
    }

    /// <summary>
    /// Checks, once the image's size is known and before any model runs, that what the request draws at
    /// <paramref name="rendered"/> is within Cam:MaxOutputPixels: each map's heatmap and overlay (as outputs asks),
    /// and for agreement, per method and target, every model's map projected onto the picture and the consensus and
    /// disagreement drawn from them. Beyond, 400 naming every field that would shrink it.
    /// </summary>
    public void CheckPictures(CamRequest request, int models, ImageSize rendered)
    {
        var perMap = (request.Outputs.HasFlag(ResultParts.Heatmap) ? 1 : 0) + (request.Outputs.HasFlag(ResultParts.Overlay) ? 1 : 0);
        var maps = models * request.MapsPerModel;
        var agreementDrawings = request.Agreement ? (models + 2) * request.MapsPerModel : 0;
        var drawings = (long)maps * perMap + agreementDrawings;
        var pixels = drawings * rendered.Width * rendered.Height;
        var limit = options.Value.MaxOutputPixels;
        if (pixels <= limit)
        {
            return;
        }
        var message = $"This request draws {drawings} picture(s) of {rendered.Width}×{rendered.Height} ({maps} map(s) × {perMap} of heatmap and overlay" +
                      (request.Agreement ? $", and for agreement {agreementDrawings}: each model's map, the consensus and the disagreement per method and target" : "") +
                      $") = {pixels:N0} pixels; the limit is {limit:N0} (Cam:MaxOutputPixels). " +
                      "Ask for a smaller maxSize, fewer models, methods, targets or outputs, or send several requests.";
        // Every field that would shrink the pictures is named.
        var fields = new[] { ("maxSize", Math.Max(rendered.Width, rendered.Height)), ("outputs", perMap), ("models", models), ("method", request.Methods.Count),
                ("target", request.Targets.Count), ("agreement", request.Agreement ? 2 : 0) }
            .Where(f => f.Item2 > 1).ToDictionary(f => f.Item1, _ => new[] { message });
        throw new RequestException(StatusCodes.Status400BadRequest, "Invalid request", message, fields,
            new Dictionary<string, object?> { ["outputPixels"] = pixels, ["maxOutputPixels"] = limit });
    }

    /// <summary>
    /// Explains the image with every model, each run on cores from <paramref name="cores"/> as the models' <see cref="RunPlan"/>
    /// says, and hands each explanation to <paramref name="draw"/> (which draws its pictures on cores of their own);
    /// returns what was drawn, one per model in the models' order. It ends only when every run and drawing has: none
    /// still uses the image when it is disposed.
    /// </summary>
    public async Task<TDrawn[]> ExplainAsync<TDrawn>(CoreScheduler cores, LoadedImage image, IReadOnlyList<ModelEntry> models, CamRequest request,
        Func<Explanation, Task<TDrawn>> draw, CancellationToken cancellationToken)
    {
        var plan = RunPlan.For(models.Select(m => m.Model!.Threads).ToList(), cores.Cores);

        // One engine call per model computes all its maps: a many-forwards method (Score-CAM) keeps the run's
        // cores for its whole time, and the request's deadline stops it as it stops a run.
        Task<Explanation> Run(int i, bool underLoad)
        {
            var threads = models[i].Model!.Threads;
            var preferred = underLoad ? threads.UnderLoad.Threads : threads.Fastest.Threads;
            return cores.RunAsync(preferred, threads.UnderLoad.Threads,
                lease => Infer(image, models[i], request, underLoad || lease.UnderLoad, cancellationToken), cancellationToken);
        }

        var drawn = new TDrawn[models.Count];
        if (plan.SideBySide)
        {
            // Each run asks for its cores in the plan's order, and its pictures are drawn on the cores it frees.
            await Task.WhenAll(plan.Order.Select(async i => drawn[i] = await draw(await Run(i, underLoad: true))));
            return drawn;
        }
        // One after another. The pictures wait for a run that leaves a core free, which the plan puts last (on
        // 2 cores efficientnet_b0 runs fastest on one), or else for the last run's end: a picture drawn during a run
        // that uses every core would take a core that run is fastest with (on 2 cores, resnet50 then ran on one
        // thread, 83 ms instead of 44).
        var drawing = new Task<TDrawn>[models.Count];
        var undrawn = new List<(int Index, Explanation Explanation)>();
        void DrawUndrawn()
        {
            undrawn.ForEach(e => drawing[e.Index] = draw(e.Explanation));
            undrawn.Clear();
        }
        try
        {
            foreach (var i in plan.Order)
            {
                // The run holds its cores once Run returns, if they were free: the pictures then queue for the others.
                var run = Run(i, underLoad: false);
                if (RunPlan.LeavesCoresFree(models[i].Model!.Threads, cores.Cores))
                {
                    DrawUndrawn();
                }
                undrawn.Add((i, await run));
            }
        }
        catch
        {
            // A run failed or was stopped: the pictures already under way end before the caller disposes the image.
            await ((Task)Task.WhenAll(drawing.Where(d => d is not null))).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }
        DrawUndrawn();
        return await Task.WhenAll(drawing);
    }

    /// <summary>
    /// Preprocesses the image for one model and explains it with the engine, every method and target from one
    /// model run: everything but the pictures, which <see cref="Render"/> draws (off the request's thread, while
    /// the next model runs). With <paramref name="underLoad"/>, it runs on the model's session for when runs
    /// queue up (see <see cref="CoreLease.UnderLoad"/>).
    /// </summary>
    public Explanation Infer(LoadedImage image, ModelEntry entry, CamRequest request, bool underLoad, CancellationToken cancellationToken)
    {
        var model = entry.Model!;
        var inputLength = model.ImageLength;
        var input = ArrayPool<float>.Shared.Rent(inputLength);
        try
        {
            var clock = Stopwatch.StartNew();
            var geometry = TensorPreprocessor.Fill(image, model.Preprocessing, request.Resize, input.AsSpan(0, inputLength));
            var preprocessMs = clock.Elapsed.TotalMilliseconds;
            clock.Restart();

            var settings = new ExplainSettings { TopK = request.TopK, UnderLoad = underLoad, Methods = request.MethodOptions ?? MethodOptions.Default };
            ImageExplanation explained;
            FaithfulnessScores[]? faithfulness = null;
            try
            {
                explained = CamEngine.Explain(model, entry.Id, input.AsMemory(0, inputLength), 1, request.Targets, request.Methods, settings, cancellationToken)[0];
                if (request.Metrics != FaithfulnessMetrics.None)
                {
                    // On this request's cores and under its deadline, as Score-CAM's forward passes are.
                    var faithfulnessOptions = new FaithfulnessOptions { Steps = request.MetricSteps, BatchSize = settings.Methods.BatchSize };
                    faithfulness = explained.Maps.Select(map => FaithfulnessEvaluator.Evaluate(model.Serving(underLoad), input.AsSpan(0, inputLength), map.Map, map.Target.Index,
                        map.Probability, request.Metrics, faithfulnessOptions, cancellationToken)).ToArray();
                }
            }
            catch (NonFiniteOutputException e)
            {
                throw NonFiniteOutput.Problem(entry.Id, e);
            }
            catch (TargetException e)
            {
                throw RequestException.BadField("target", e.Message);
            }
            catch (MethodUnavailableException e)
            {
                throw MethodUnavailable.Problem(entry.Id, e);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                logger.LogInformation("{Model}: run stopped after {Milliseconds:F0} ms because its request was cancelled", entry.Id, clock.Elapsed.TotalMilliseconds);
                throw;
            }
            metrics.ModelRan(entry.Id, underLoad, TimeSpan.FromMilliseconds(explained.InferenceMs));

            return new Explanation(entry.Id, model.Info.Weights == Onnx.CamReady.WeightsKind.Random, explained.Predictions, explained.Maps,
                geometry, preprocessMs, explained.InferenceMs, faithfulness);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(input);
        }
    }

    /// <summary>
    /// Draws one map's pictures that <see cref="CamRequest.Outputs"/> asks for at <paramref name="size"/> (see
    /// <see cref="RenderedSize"/>), mapped back through the model's resize or crop; the overlay over the
    /// image shrunk to that size once per request (<see cref="LoadedImage.Display"/>).
    /// </summary>
    public static CamResult Render(LoadedImage image, Explanation explanation, int mapIndex, CamRequest request, ImageSize size, int quality)
    {
        var clock = Stopwatch.StartNew();
        var map = explanation.Maps[mapIndex];
        var scores = explanation.Faithfulness?[mapIndex];
        var cam = map.Map;
        var format = request.Format ?? AutoFormat(image);
        byte[]? heatmap = null, overlay = null;
        if ((request.Outputs & (ResultParts.Heatmap | ResultParts.Overlay)) != 0)
        {
            // Each picture is encoded as its rows are projected: no float per pixel is held, only the encoded bytes are kept.
            using var projection = new MapProjection(cam.Data, cam.Height, cam.Width, explanation.Geometry, size.Width, size.Height);
            if (request.Outputs.HasFlag(ResultParts.Heatmap))
            {
                heatmap = CamRenderer.HeatmapPng(projection, request.Colormap);
            }
            if (request.Outputs.HasFlag(ResultParts.Overlay))
            {
                overlay = CamRenderer.Overlay(image.Display(size.Width, size.Height), projection, request.Colormap, request.Alpha, format, quality);
            }
        }
        var renderMs = clock.Elapsed.TotalMilliseconds;

        return new CamResult(explanation.Model, explanation.Untrained, explanation.Predictions, map.Target, map.Method,
            request.Outputs.HasFlag(ResultParts.Cam) ? cam : null,
            heatmap,
            format == OverlayFormat.Png ? overlay : null,
            format == OverlayFormat.Jpeg ? overlay : null,
            format == OverlayFormat.Webp ? overlay : null,
            new Timings(Round(explanation.PreprocessMs), Round(explanation.InferenceMs), Round(map.CamMs), Round(renderMs), scores is null ? null : Round(scores.Ms)),
            scores is null ? null : MapMetrics.From(scores));
    }

    /// <summary>The overlay's encoding when the request leaves it to the service: PNG for a PNG upload, JPEG for a photo that was lossy already.</summary>
    public static OverlayFormat AutoFormat(LoadedImage image) => image.Format == "png" ? OverlayFormat.Png : OverlayFormat.Jpeg;

    /// <summary>
    /// How large the decoded photo must stay: the overlay's photo at least the rendered size (see
    /// <see cref="LoadedImage.Display"/>; the heatmap needs no pixels), and every model's input keeps
    /// <see cref="ImageReduction.ModelGap"/> over what it resamples the photo to.
    /// </summary>
    public static DecodeHint DecodeHintFor(CamRequest request, IEnumerable<ModelEntry> models) =>
        DecodeHint.For(
            !request.Outputs.HasFlag(ResultParts.Overlay) ? 0 : request.MaxSize == 0 ? int.MaxValue : request.MaxSize,
            models.Select(m => m.Model!.Preprocessing));

    /// <summary>The size pictures are drawn at (<see cref="DecodeHint.PictureSize"/>).</summary>
    public static ImageSize RenderedSize(int width, int height, int maxSize)
    {
        var (w, h) = DecodeHint.PictureSize(width, height, maxSize);
        return new ImageSize(w, h);
    }

    internal static double Round(double milliseconds) => Math.Round(milliseconds, 2);
}
