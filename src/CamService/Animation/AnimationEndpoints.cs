using System.Diagnostics;
using CamService.Cam;
using CamService.Access;
using CamService.Hosting;
using CamService.Imaging;
using CamService.Imaging.Animation;
using CamService.Inference.Runtime;
using CamService.Models;
using CamService.Problems;
using CamService.Traffic;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Animation;

/// <summary>
/// POST /cam/animation: one photo explained as POST /cam explains it, answered as an animated GIF that loops
/// through the overlays, a captioned frame per model, method and target: the seed notebook's cam_viz.gif for any photo.
/// </summary>
public static class AnimationEndpoints
{
    public const string MediaType = "image/gif";

    /// <summary>What the API's documentation says of the endpoint.</summary>
    const string Description =
        "The fields of POST /cam (multipart/form-data or JSON with 'image' as base64) but those that shape a JSON answer (outputs, format, topk, " +
        "metrics, metricSteps, agreement, agreementTopPercent), plus frameMs. " +
        "Frames in /cam's order (models outer, then methods, then targets), looping forever; each caption names the model " +
        "(UNTRAINED for random weights) and method, the class explained with its probability, and the model's parameters, GMACs " +
        "and latency. The Server-Timing header gives the time spent reading, waiting for a slot, decoding, explaining and encoding.";

    public static IServiceCollection AddAnimation(this IServiceCollection services, IConfiguration configuration) =>
        services.AddValidatedOptions<AnimationOptions>(configuration, AnimationOptions.Section);

    public static IEndpointRouteBuilder MapAnimation(this IEndpointRouteBuilder app)
    {
        app.MapPost("/cam/animation", Animate)
            .WithName("AnimateImage")
            .WithTags("CAM")
            .WithSummary("An animated GIF of one image's overlays, a captioned frame per model, method and target.")
            .WithDescription(Description)
            .Produces(StatusCodes.Status200OK, contentType: MediaType)
            .ExplainsUploads();
        return app;
    }

    /// <summary>The frames a request asks for, refused with a 413 beyond Cam:Animation:MaxFrames.</summary>
    static int CheckFrameCount(CamRequest camRequest, int models, AnimationOptions limits)
    {
        var frameCount = models * camRequest.MapsPerModel;
        if (frameCount > limits.MaxFrames)
        {
            throw TooLarge(camRequest, models, $"This request asks for {Frames(camRequest, models)} frames; the limit is {limits.MaxFrames} " +
                                               "(Cam:Animation:MaxFrames). Ask for fewer models, methods or targets.");
        }
        return frameCount;
    }

    static async Task<FileContentHttpResult> Animate(HttpRequest request, CamRequestReader reader, CamExplainer explainer, ModelRegistry registry, ImageLoader loader,
        CoreScheduler cores, ExplainAdmission admission, IOptions<AnimationOptions> options, CancellationToken cancellationToken)
    {
        var timing = new ServerTiming();
        var limits = options.Value;
        var animation = AnimationRequest.From(await reader.ReadFormAsync(request, cancellationToken), reader, limits);
        var camRequest = animation.Cam;
        // Held until the answer is made: a model replaced or removed meanwhile stays open for this request.
        using var leases = new ModelLeases();
        var ready = explainer.Find(camRequest.Models, leases);
        var frameCount = CheckFrameCount(camRequest, ready.Count, limits);
        var models = explainer.Check(camRequest, ready);
        timing.Lap("read");

        // The image's header too (format, readable, within Cam:MaxPixels): a file it refuses never waits for a slot.
        loader.ReadHeader(camRequest.Image, cancellationToken);
        // Read and checked, header included: only now does the request take an explanation slot (or wait for one).
        using var slot = await admission.EnterAsync(cancellationToken);
        timing.Lap("queue");

        // On compute threads and cores of their own, as POST /cam works (see CamEndpoints).
        using var job = cores.BeginJob();
        using var image = await explainer.DecodeAsync(cores, camRequest, models, cancellationToken);
        var size = CamExplainer.RenderedSize(image.Width, image.Height, camRequest.MaxSize);
        CheckPixels(camRequest, models.Count, size, limits);
        timing.Lap("decode");

        // A frame per model, method and target, at its place in /cam's order; every frame is disposed, drawn or not.
        var frames = new Image<Rgb24>?[frameCount];
        try
        {
            var place = models.Select((model, i) => (model.Name, i)).ToDictionary(m => m.Name, m => m.i * camRequest.MapsPerModel);
            var descriptions = models.ToDictionary(m => m.Name, m => Describe(registry, m.Name));
            var drawn = await explainer.ExplainAsync(cores, image, models, camRequest, (explanation, i) =>
            {
                var drawing = Stopwatch.StartNew();
                var map = explanation.Maps[i];
                frames[place[explanation.Model] + i] = AnimationFrame.Draw(image.Display(size.Width, size.Height), map.Map.Data,
                    map.Map.Height, map.Map.Width, explanation.Geometry, camRequest.Colormap, camRequest.Alpha, AnimationCaption.Lines(descriptions[explanation.Model], map));
                return drawing.Elapsed.TotalMilliseconds;
            }, cancellationToken);
            timing.Lap("explain");
            timing.Add("inference", drawn.Sum(model => model.Explanation.PreprocessMs + model.Explanation.InferenceMs));
            timing.Add("draw", drawn.Sum(model => model.Pictures.Sum()));

            var gif = await cores.RunAsync(() => AnimationEncoder.Gif(Array.ConvertAll(frames, f => f!), animation.FrameMs), cancellationToken);
            timing.Lap("encode");
            timing.WriteTo(request.HttpContext.Response);
            return TypedResults.File(gif, MediaType);
        }
        finally
        {
            foreach (var frame in frames)
            {
                frame?.Dispose();
            }
        }
    }

    /// <summary>What GET /models says of the model, for the captions; only its id for one removed while this request ran.</summary>
    static ModelDescription Describe(ModelRegistry registry, string id) => ModelDescription.Of(registry.Find(id) ?? new ModelEntry(id, id));

    /// <summary>A 400 when the frames at <paramref name="size"/> are beyond Cam:Animation:MaxPixels.</summary>
    static void CheckPixels(CamRequest request, int models, ImageSize size, AnimationOptions limits)
    {
        var frameSize = AnimationFrame.Size(size.Width, size.Height, FrameCaption.LineCount);
        var pixels = (long)frameSize.Width * frameSize.Height * models * request.MapsPerModel;
        if (pixels > limits.MaxPixels)
        {
            throw TooLarge(request, models, $"{Frames(request, models)} frames of {frameSize.Width}×{frameSize.Height} are {pixels:N0} pixels; " +
                                            $"the limit is {limits.MaxPixels:N0} (Cam:Animation:MaxPixels). Ask for a smaller maxSize or fewer frames.", "maxSize");
        }
    }

    static string Frames(CamRequest request, int models) =>
        $"{models} model(s) × {request.Methods.Count} method(s) × {request.Targets.Count} target(s) = {models * request.MapsPerModel}";

    /// <summary>A 400 naming every list that could be shortened, and <paramref name="also"/>.</summary>
    static RequestException TooLarge(CamRequest request, int models, string message, params string[] also)
    {
        var fields = new[] { ("models", models), ("method", request.Methods.Count), ("target", request.Targets.Count) }
            .Where(f => f.Item2 > 1).Select(f => f.Item1).Concat(also).ToDictionary(f => f, _ => new[] { message });
        return new RequestException(StatusCodes.Status400BadRequest, "Invalid request", message, fields);
    }
}
