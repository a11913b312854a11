using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using CamService.Access;
using CamService.Hosting;
using CamService.Imaging;
using CamService.Inference.Runtime;
using CamService.Models;
using CamService.Traffic;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace CamService.Cam;

/// <summary>POST /cam: explain one image with one or more models, methods and targets.</summary>
public static class CamEndpoints
{
    public static IServiceCollection AddCam(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<CamOptions>(configuration, CamOptions.Section);
        services.AddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<CamOptions>>().Value;
            return new ImageLoader(new ImageLimits { MaxPixels = options.MaxPixels, NativeJpeg = options.NativeJpeg });
        });
        services.AddSingleton<CamRequestReader>();
        services.AddSingleton<CamExplainer>();
        services.AddSingleton<CamWarmUp>();
        services.AddHostedService(provider => provider.GetRequiredService<CamWarmUp>());
        return services;
    }

    public static IEndpointRouteBuilder MapCam(this IEndpointRouteBuilder app)
    {
        app.MapPost("/cam", Explain)
            .WithName("ExplainImage")
            .WithTags("CAM")
            .WithSummary("CAM maps of one image for one or more models, methods and targets, with predictions, PNGs and timings.")
            .WithDescription("multipart/form-data with an 'image' file and optional fields, or application/json with 'image' as base64 " +
                             "and the same fields. One result per model, method and target (models outer, then methods, then targets). " +
                             "With 'Accept: image/png' (or image/jpeg, image/webp) and one map, the answer is the overlay itself. " +
                             "The Server-Timing header gives the time spent reading, waiting for a slot, decoding, explaining (with the models' inference " +
                             "and the pictures' rendering summed within it), comparing the models and writing the answer.")
            .Produces<CamResponse>(StatusCodes.Status200OK, "application/json")
            .ProducesProblem(StatusCodes.Status406NotAcceptable)
            .ExplainsUploads();
        return app;
    }

    /// <summary>
    /// What every endpoint that explains an uploaded image shares: its problems (a bad field, an unknown model, a body or image
    /// over the limits, an unsupported or damaged image), admission to the explanation slots, client access, and no
    /// antiforgery token (other services post to it; browsers' cross-origin posts are refused by the surface's guard).
    /// </summary>
    public static RouteHandlerBuilder ExplainsUploads(this RouteHandlerBuilder endpoint) => endpoint
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
        .WithAdmission()
        .WithClientAccess()
        .DisableAntiforgery();

    static async Task<Results<FileContentHttpResult, CompleteJson, ProblemHttpResult>> Explain(
        HttpRequest request, CamRequestReader reader, CamExplainer explainer, ImageLoader loader, CoreScheduler cores, ExplainAdmission admission,
        IOptions<JsonOptions> json, CancellationToken cancellationToken)
    {
        var timing = new ServerTiming();
        var camRequest = await reader.ReadAsync(request, cancellationToken);
        // Held until the answer is made: a model replaced or removed meanwhile stays open for this request.
        using var leases = new ModelLeases();
        var models = explainer.Resolve(camRequest, leases);
        timing.Lap("read");

        var picture = WantedPicture(request);
        if (picture is { } pictureFormat)
        {
            var maps = models.Count * camRequest.MapsPerModel;
            if (maps != 1)
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status406NotAcceptable, title: "Not acceptable",
                    detail: $"An image answer holds one overlay; this request asks for {maps} maps ({models.Count} model(s) × {camRequest.Methods.Count} method(s) × " +
                            $"{camRequest.Targets.Count} target(s)). Name one model, one method and one target, or accept application/json.");
            }
            // The answer is the overlay itself, in the accepted encoding.
            camRequest = camRequest with { Outputs = ResultParts.Overlay, Format = pictureFormat };
        }

        // The image's header too (format, readable, within Cam:MaxPixels): a file it refuses never waits for a slot.
        loader.ReadHeader(camRequest.Image, cancellationToken);
        // Read and checked, header included: only now does the request take an explanation slot (or wait for one).
        using var slot = await admission.EnterAsync(cancellationToken);
        timing.Lap("queue");
        timing.Add("queue-predicted", slot.PredictedWait.TotalMilliseconds);

        // Decoding, model runs and drawing each wait for cores of their own (CoreScheduler), so however many
        // requests are in flight, the busy threads never outnumber the cores. All on compute threads: they hold
        // a thread for tens of milliseconds, and on the thread pool, at the same priority, Kestrel's I/O,
        // refusals under load and deadline timers would wait behind them.
        using var job = cores.BeginJob();
        var answer = await explainer.ExplainAsync(cores, camRequest, models, timing, cancellationToken);
        Results<FileContentHttpResult, CompleteJson, ProblemHttpResult> result = picture is { } format
            ? TypedResults.File(answer.Results[0].Overlay!, MediaTypes[format])
            : CompleteJson.Serialize(answer, json.Value.SerializerOptions);
        timing.Lap("write");
        timing.WriteTo(request.HttpContext.Response);
        return result;
    }

    static readonly Dictionary<OverlayFormat, string> MediaTypes = new()
    {
        [OverlayFormat.Png] = "image/png",
        [OverlayFormat.Jpeg] = "image/jpeg",
        [OverlayFormat.Webp] = "image/webp",
    };

    /// <summary>The picture type the client prefers to JSON (image/png, image/jpeg or image/webp, named explicitly), if any.</summary>
    static OverlayFormat? WantedPicture(HttpRequest request)
    {
        var accept = request.GetTypedHeaders().Accept;
        double Quality(string type) => accept
            .Where(a => a.MediaType.Equals(type, StringComparison.OrdinalIgnoreCase))
            .Select(a => a.Quality ?? 1.0).DefaultIfEmpty(0).Max();
        var json = Math.Max(Quality("application/json"), Quality("*/*") * 0.999);
        var (format, best) = MediaTypes.Select(m => (m.Key, Quality(m.Value))).MaxBy(m => m.Item2);
        return best > json ? format : null;
    }
}
