using System.Globalization;
using CamService.Cam;
using CamService.Problems;

namespace CamService.Animation;

/// <summary>
/// A parsed POST /cam/animation request: /cam's request, drawing overlays only, at most Cam:Animation:MaxSize long,
/// and how long each frame shows.
/// </summary>
public sealed record AnimationRequest(CamRequest Cam, int FrameMs)
{
    public const int DefaultFrameMs = 1000;

    /// <summary>The shortest frame: faster, a comparison cannot be read.</summary>
    public const int MinFrameMs = 100;

    public const int MaxFrameMs = 10_000;

    /// <summary>The field of its own; the rest are /cam's.</summary>
    public const string FrameMsField = "frameMs";

    /// <summary>
    /// /cam's fields that choose what a JSON answer holds: an animation has none of them to choose (metrics and
    /// agreement would cost forward passes whose figures nobody sees).
    /// </summary>
    static readonly string[] JsonOnlyFields = ["outputs", "format", "topk", "metrics", "metricSteps", "agreement", "agreementTopPercent"];

    /// <summary>Reads frameMs, refuses /cam's answer-only fields, and validates the rest as /cam does.</summary>
    public static AnimationRequest From(CamForm form, CamRequestReader reader, AnimationOptions options)
    {
        ArgumentNullException.ThrowIfNull(form);
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(options);
        if (JsonOnlyFields.FirstOrDefault(f => form.Field(f) is not null) is { } jsonOnly)
        {
            throw RequestException.BadField(jsonOnly, $"'{jsonOnly}' chooses what POST /cam answers in JSON; POST /cam/animation always answers a GIF of the overlays.");
        }
        var frameMs = form.Field(FrameMsField) is { } text
            ? int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms is >= MinFrameMs and <= MaxFrameMs
                ? ms
                : throw RequestException.BadField(FrameMsField, $"'{FrameMsField}' must be a whole number of milliseconds from {MinFrameMs} to {MaxFrameMs}.")
            : DefaultFrameMs;

        var cam = reader.Validate(form, [FrameMsField], options.DefaultMaxSize);
        // maxSize is a bound, never an enlargement: 0 (the image's size, which Validate makes Cam:MaxRenderSize) and
        // anything past the cap mean the cap.
        var maxSize = Math.Min(cam.MaxSize, options.MaxSize);
        return new AnimationRequest(cam with { Outputs = ResultParts.Overlay, MaxSize = maxSize, TopK = 1 }, frameMs);
    }
}

/// <summary>The fields of POST /cam/animation as they arrive, for documentation (multipart/form-data).</summary>
/// <param name="Image">The photo: JPEG, PNG or WebP.</param>
/// <param name="Models">Comma-separated model ids (default: every ready model).</param>
/// <param name="Target">Comma-separated class indices or exact labels (default: each model's own top-1).</param>
/// <param name="Colormap">jet (default), turbo, viridis or inferno.</param>
/// <param name="Alpha">Overlay opacity from 0 to 1 (default 0.5).</param>
/// <param name="Resize">stretch (default) or crop.</param>
/// <param name="Method">Comma-separated CAM methods (default gradcam); GET /methods lists them.</param>
/// <param name="MaxSize">Long side of the frames' pictures in pixels, caption not included (default 640, Cam:Animation:DefaultMaxSize); 0 or more than Cam:Animation:MaxSize (1280) means that cap; more than Cam:MaxRenderSize (4096) is refused. Never larger than the image.</param>
/// <param name="ScoreCamChannels">Score-CAM: how many channels, those most activated, get a forward pass each; 0 = all.</param>
/// <param name="FrameMs">How long each frame shows, in milliseconds, 100 to 10000 (default 1000); GIF keeps hundredths of a second.</param>
/// <remarks>One frame per model, method and target: models outer, then methods, then targets, as POST /cam orders its results.</remarks>
public sealed record AnimationFormFields(IFormFile Image, string? Models, string? Target, string? Colormap, float? Alpha, string? Resize, string? Method,
    int? MaxSize, int? ScoreCamChannels, int? FrameMs);

/// <summary>The JSON form of POST /cam/animation: the same fields, with the image as base64 (a data: URL is accepted too).</summary>
/// <param name="Image">Base64 of a JPEG, PNG or WebP file.</param>
/// <param name="Models">Comma-separated model ids (or a JSON array of ids).</param>
/// <param name="Target">Comma-separated class indices or exact labels (or a JSON array of them).</param>
/// <param name="Colormap">jet (default), turbo, viridis or inferno.</param>
/// <param name="Alpha">Overlay opacity from 0 to 1 (default 0.5).</param>
/// <param name="Resize">stretch (default) or crop.</param>
/// <param name="Method">Comma-separated CAM methods (or a JSON array of names; default gradcam).</param>
/// <param name="MaxSize">Long side of the frames' pictures in pixels (default 640); 0 or more than the cap means the cap.</param>
/// <param name="ScoreCamChannels">Score-CAM's channels with a forward pass each; 0 = all.</param>
/// <param name="FrameMs">How long each frame shows, in milliseconds, 100 to 10000 (default 1000).</param>
public sealed record AnimationJsonBody(string Image, string? Models, string? Target, string? Colormap, float? Alpha, string? Resize, string? Method,
    int? MaxSize, int? ScoreCamChannels, int? FrameMs);
