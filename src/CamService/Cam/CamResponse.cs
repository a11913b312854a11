using System.Text.Json.Serialization;
using CamService.Inference.Explanations;

namespace CamService.Cam;

/// <summary>The answer of POST /cam: the image's size after EXIF orientation, the size its pictures are drawn at, and one result per model, method and target.</summary>
/// <param name="Image">The upright image's size.</param>
/// <param name="Rendered">The heatmaps' and overlays' size: the image's, or less, as maxSize says, same aspect.</param>
/// <param name="Results">One per model, method and target: models outer, then methods, then targets, each in the order asked.</param>
public sealed record CamResponse(ImageSize Image, ImageSize Rendered, IReadOnlyList<CamResult> Results);

/// <summary>Width and height in pixels.</summary>
public sealed record ImageSize(int Width, int Height);

/// <summary>One map: a model's explanation of the image for one target by one method.</summary>
/// <param name="Model">The model id.</param>
/// <param name="Untrained">True when the model has random weights: its predictions and map mean nothing.</param>
/// <param name="Predictions">The model's top-k classes by probability (the same in each of its results).</param>
/// <param name="Target">The class explained and its score (logit).</param>
/// <param name="Method">The CAM method (see GET /methods).</param>
/// <param name="Cam">The raw map at the target layer's resolution, row-major, not normalised (outputs: cam).</param>
/// <param name="HeatmapPng">The coloured map at the rendered size, transparent outside a crop (base64 PNG; outputs: heatmap).</param>
/// <param name="OverlayPng">The map blended over the image at the requested opacity (base64 PNG; outputs: overlay, format png).</param>
/// <param name="OverlayJpeg">The same overlay as JPEG (format jpeg).</param>
/// <param name="OverlayWebp">The same overlay as WebP (format webp).</param>
/// <param name="TimingsMs">Where the time went, in milliseconds.</param>
public sealed record CamResult(
    string Model,
    bool Untrained,
    IReadOnlyList<Prediction> Predictions,
    TargetScore Target,
    string Method,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] CamMap? Cam,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] byte[]? HeatmapPng,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] byte[]? OverlayPng,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] byte[]? OverlayJpeg,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] byte[]? OverlayWebp,
    Timings TimingsMs)
{
    /// <summary>The overlay, whichever its encoding.</summary>
    [JsonIgnore]
    public byte[]? Overlay => OverlayPng ?? OverlayJpeg ?? OverlayWebp;
}

/// <summary>
/// Milliseconds per stage of one result. Preprocess and inference (the one model run that gives logits,
/// activations and every target's gradients) are the model's, shared by its results; cam (the method's own
/// time, its head evaluations or forward passes included) and render are this map's.
/// </summary>
public sealed record Timings(double Preprocess, double Inference, double Cam, double Render);
