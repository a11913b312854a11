using System.Diagnostics;
using CamService.Hosting;
using CamService.Imaging;
using CamService.Inference.Explanations;
using CamService.Inference.Runtime;
using CamService.Metrics;
using CamService.Models;
using CamService.Problems;
using Microsoft.Extensions.Options;

namespace CamService.Cam;

/// <summary>
/// POST /cam's side of the explanation path (<see cref="ImageExplainer"/>): the request's models found and checked
/// before any work, the image decoded as large as the pictures and models need, the path run on the host's cores,
/// its failures turned into problems, and what it gives written as the API's results.
/// </summary>
public sealed class CamExplainer(ModelRegistry registry, ImageLoader loader, CamMetrics metrics, IOptions<CamOptions> options, ILogger<CamExplainer> logger)
    : IModelRunObserver
{
    /// <summary>
    /// The ready models a request names, in its order (all ready models when it names none), checked before any work
    /// is done (<see cref="Check"/>); each held in <paramref name="leases"/> for the request's run.
    /// </summary>
    public IReadOnlyList<ExplainableModel> Resolve(CamRequest request, ModelLeases leases) => Check(request, Find(request.Models, leases));

    /// <summary>
    /// The ready models <paramref name="ids"/> names, in its order (all ready models when it names none); 404 or 503 otherwise.
    /// Each is held in <paramref name="leases"/>: a model replaced or removed meanwhile is disposed only once they are let go.
    /// </summary>
    public IReadOnlyList<(string Id, CamReadyModel Model)> Find(IReadOnlyList<string>? ids, ModelLeases leases)
    {
        if (ids is null)
        {
            // A model removed since the list was taken is left out, as if the list had been taken after.
            var ready = registry.Ready.Select(e => (e.Id, Lease: e.Lease())).Where(m => m.Lease is not null)
                .Select(m => (m.Id, leases.Add(m.Lease!))).ToList();
            return ready.Count > 0
                ? ready
                : throw new RequestException(StatusCodes.Status503ServiceUnavailable, "No model is ready",
                    registry.Entries.Count == 0 ? "No models were found in the models folder (Models:Directory)." : "No model has finished loading successfully; see /health/ready.");
        }
        return ids.Select(id => (id, leases.Add(registry.Lease(id)))).ToList();
    }

    /// <summary>
    /// Checks, before any work is done, that the request's maps are within Cam:MaxMapsPerRequest, that every
    /// model can serve every method, and that every model has every target, each a class of its own (281 and "tabby" would be one map twice);
    /// returns each model with the targets resolved.
    /// </summary>
    public IReadOnlyList<ExplainableModel> Check(CamRequest request, IReadOnlyList<(string Id, CamReadyModel Model)> models)
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
        return models.Select(m => Explainable(request, m.Id, m.Model)).ToList();
    }

    /// <summary>The model with the request's targets resolved; a method it cannot serve, or one class targeted twice, refused.</summary>
    static ExplainableModel Explainable(CamRequest request, string id, CamReadyModel model)
    {
        ExplainableModel explainable;
        try
        {
            explainable = ExplainableModel.Resolve(id, model, request.Targets, request.Methods);
        }
        catch (MethodUnavailableException e)
        {
            throw MethodUnavailable.Problem(id, e);
        }
        catch (TargetException e)
        {
            throw RequestException.BadField("target", e.Message);
        }
        var classes = new Dictionary<int, ExplanationTarget>();
        for (var t = 0; t < request.Targets.Count; t++)
        {
            if (explainable.Targets[t] is { } index && !classes.TryAdd(index, request.Targets[t]))
            {
                throw RequestException.BadField("target",
                    $"Targets '{classes[index]}' and '{request.Targets[t]}' are the same class (#{index}) of model '{id}'; list it once.");
            }
        }
        return explainable;
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
    /// Decodes the request's image and explains it with every model on <paramref name="cores"/> (<see cref="ImageExplainer"/>),
    /// each map's pictures drawn as the request asks, then compares the models' maps when it asks for agreement;
    /// <paramref name="timing"/> gets a lap for each stage.
    /// </summary>
    public async Task<CamResponse> ExplainAsync(CoreScheduler cores, CamRequest request, IReadOnlyList<ExplainableModel> models, ServerTiming timing,
        CancellationToken cancellationToken)
    {
        using var image = await DecodeAsync(cores, request, models, cancellationToken);
        timing.Lap("decode");
        var size = RenderedSize(image.Width, image.Height, request.MaxSize);
        CheckPictures(request, models.Count, size);
        var format = request.Format ?? AutoFormat(image);
        var pictures = new PictureSpec(size.Width, size.Height, request.Outputs.HasFlag(ResultParts.Heatmap), request.Outputs.HasFlag(ResultParts.Overlay),
            new PictureStyle(request.Colormap, request.Alpha, format, options.Value.OverlayQuality));
        var drawn = await Explain(() => ImageExplainer.ExplainAsync(cores, image, models, request.Spec, pictures, this, cancellationToken));
        timing.Lap("explain");
        timing.Add("inference", drawn.Sum(d => d.Explanation.PreprocessMs + d.Explanation.InferenceMs));
        timing.Add("render", drawn.Sum(d => d.Pictures.Sum(p => Round(p.RenderMs))));

        var imageSize = new ImageSize(image.Width, image.Height);
        List<AgreementResult>? agreement = null;
        double? agreementMs = null;
        if (request.Agreement)
        {
            var clock = Stopwatch.StartNew();
            agreement = await cores.RunAsync(() => CamAgreement.Compare(drawn.Select(d => d.Explanation).ToList(), request, imageSize, size), cancellationToken);
            agreementMs = Round(clock.Elapsed.TotalMilliseconds);
            timing.Lap("agreement");
        }
        // Models outer, then methods, then targets: each model's maps are in that order already.
        var results = drawn.SelectMany(d => d.Pictures.Select((_, map) => Result(d, map, request, format))).ToList();
        return new CamResponse(imageSize, size, results, agreement, agreementMs);
    }

    /// <summary>As <see cref="ExplainAsync(CoreScheduler, CamRequest, IReadOnlyList{ExplainableModel}, ServerTiming, CancellationToken)"/>'s path, each map drawn by <paramref name="draw"/> (an animation's frame).</summary>
    public Task<DrawnExplanation<TPicture>[]> ExplainAsync<TPicture>(CoreScheduler cores, LoadedImage image, IReadOnlyList<ExplainableModel> models, CamRequest request,
        Func<ModelExplanation, int, TPicture> draw, CancellationToken cancellationToken) =>
        Explain(() => ImageExplainer.ExplainAsync(cores, image, models, request.Spec, draw, this, cancellationToken));

    /// <summary>The request's image, decoded on a core as large as its pictures and every model need (<see cref="DecodeHintFor"/>).</summary>
    public Task<LoadedImage> DecodeAsync(CoreScheduler cores, CamRequest request, IReadOnlyList<ExplainableModel> models, CancellationToken cancellationToken)
    {
        var hint = DecodeHintFor(request, models.Select(m => m.Model));
        return cores.RunAsync(() => loader.Load(request.Image, hint, cancellationToken), cancellationToken);
    }

    /// <summary>The path's failures as the API's problems: a model whose outputs are not finite, or that cannot serve a method, is named in a 422.</summary>
    static async Task<T> Explain<T>(Func<Task<T>> explain)
    {
        try
        {
            return await explain();
        }
        catch (ModelExplanationException e)
        {
            throw e.InnerException switch
            {
                NonFiniteOutputException nonFinite => NonFiniteOutput.Problem(e.Model, nonFinite),
                TargetException target => RequestException.BadField("target", target.Message),
                _ => MethodUnavailable.Problem(e.Model, e.InnerException!),
            };
        }
    }

    /// <summary>One map's result: its pictures in the fields of their encoding, and the times rounded to hundredths of a millisecond.</summary>
    static CamResult Result(DrawnExplanation<MapPictures> drawn, int mapIndex, CamRequest request, OverlayFormat format)
    {
        var (explanation, pictures) = (drawn.Explanation, drawn.Pictures[mapIndex]);
        var map = explanation.Maps[mapIndex];
        var scores = explanation.Faithfulness?[mapIndex];
        return new CamResult(explanation.Model, explanation.Untrained, explanation.Predictions, map.Target, map.Method,
            request.Outputs.HasFlag(ResultParts.Cam) ? map.Map : null,
            pictures.Heatmap,
            format == OverlayFormat.Png ? pictures.Overlay : null,
            format == OverlayFormat.Jpeg ? pictures.Overlay : null,
            format == OverlayFormat.Webp ? pictures.Overlay : null,
            new Timings(Round(explanation.PreprocessMs), Round(explanation.InferenceMs), Round(map.CamMs), Round(pictures.RenderMs), scores is null ? null : Round(scores.Ms)),
            scores is null ? null : MapMetrics.From(scores));
    }

    void IModelRunObserver.Ran(string model, bool underLoad, double inferenceMs) => metrics.ModelRan(model, underLoad, TimeSpan.FromMilliseconds(inferenceMs));

    void IModelRunObserver.Stopped(string model, double elapsedMs) =>
        logger.LogInformation("{Model}: run stopped after {Milliseconds:F0} ms because its request was cancelled", model, elapsedMs);

    /// <summary>The overlay's encoding when the request leaves it to the service: PNG for a PNG upload, JPEG for a photo that was lossy already.</summary>
    public static OverlayFormat AutoFormat(LoadedImage image) => image.Format == "png" ? OverlayFormat.Png : OverlayFormat.Jpeg;

    /// <summary>
    /// How large the decoded photo must stay: the overlay's photo at least the rendered size (see
    /// <see cref="LoadedImage.Display"/>; the heatmap needs no pixels), and every model's input keeps
    /// <see cref="ImageReduction.ModelGap"/> over what it resamples the photo to.
    /// </summary>
    public static DecodeHint DecodeHintFor(CamRequest request, IEnumerable<CamReadyModel> models) =>
        DecodeHint.For(
            !request.Outputs.HasFlag(ResultParts.Overlay) ? 0 : request.MaxSize == 0 ? int.MaxValue : request.MaxSize,
            models.Select(m => m.Preprocessing));

    /// <summary>The size pictures are drawn at (<see cref="DecodeHint.PictureSize"/>).</summary>
    public static ImageSize RenderedSize(int width, int height, int maxSize)
    {
        var (w, h) = DecodeHint.PictureSize(width, height, maxSize);
        return new ImageSize(w, h);
    }

    static double Round(double milliseconds) => Math.Round(milliseconds, 2);
}
