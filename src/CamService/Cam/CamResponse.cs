using System.Text.Json.Serialization;
using CamService.Inference.Explanations;
using CamService.Inference.Faithfulness;

namespace CamService.Cam;

/// <summary>
/// The answer of POST /cam: the image's size after EXIF orientation, the size its pictures are drawn at, one result
/// per model, method and target, and, when asked, how far the models' maps agree.
/// </summary>
/// <param name="Image">The upright image's size.</param>
/// <param name="Rendered">The heatmaps' and overlays' size: the image's, or less, as maxSize says, same aspect.</param>
/// <param name="Results">One per model, method and target: models outer, then methods, then targets, each in the order asked.</param>
/// <param name="Agreement">One per method and target, in the order asked (agreement=true).</param>
/// <param name="AgreementMs">The milliseconds the agreement took, its pictures included (agreement=true).</param>
public sealed record CamResponse(
    ImageSize Image,
    ImageSize Rendered,
    IReadOnlyList<CamResult> Results,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<AgreementResult>? Agreement = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? AgreementMs = null);

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
/// <param name="Metrics">The map's faithfulness scores that metrics asks for (absent when it asks for none).</param>
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
    Timings TimingsMs,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] MapMetrics? Metrics = null)
{
    /// <summary>The overlay, whichever its encoding.</summary>
    [JsonIgnore]
    public byte[]? Overlay => OverlayPng ?? OverlayJpeg ?? OverlayWebp;
}

/// <summary>
/// Milliseconds per stage of one result. Preprocess and inference (the one model run that gives logits,
/// activations and every target's gradients) are the model's, shared by its results; cam (the method's own
/// time, its head evaluations or forward passes included), render and metrics (the faithfulness metrics' forward
/// passes; absent when none were asked) are this map's.
/// </summary>
public sealed record Timings(
    double Preprocess,
    double Inference,
    double Cam,
    double Render,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Metrics = null);

/// <summary>
/// A map's faithfulness scores (docs/methods-and-metrics.md); only the metrics asked for are present.
/// </summary>
/// <param name="AverageDrop">Average Drop (Chattopadhyay et al., arXiv 1710.11063): max(0, Y − O) / Y × 100, Y the target's probability on the image, O on the image times the normalised map (lower is better).</param>
/// <param name="Increase">Increase in Confidence (the same paper): O &gt; Y.</param>
/// <param name="DeletionAuc">Deletion (Petsiuk et al., RISE, arXiv 1806.07421): area under the target's probability as the map's highest pixels are set to the baseline first, x from 0 to 1, trapezoid rule (lower is better).</param>
/// <param name="InsertionAuc">Insertion (the same paper): area under the probability as those pixels are put back into a blurred copy first (higher is better).</param>
/// <param name="DeletionCurve">The target's probability with the top i/steps of pixels deleted, i = 0…steps.</param>
/// <param name="InsertionCurve">The target's probability with the top i/steps of pixels put back into the blurred image, i = 0…steps.</param>
/// <param name="Forwards">Forward passes of the model the metrics took.</param>
public sealed record MapMetrics(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? AverageDrop,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Increase,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? DeletionAuc,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? InsertionAuc,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] float[]? DeletionCurve,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] float[]? InsertionCurve,
    int Forwards)
{
    public static MapMetrics From(FaithfulnessScores scores) => new(scores.AverageDrop, scores.Increase, scores.DeletionAuc, scores.InsertionAuc,
        scores.DeletionCurve, scores.InsertionCurve, scores.Forwards);
}

/// <summary>How far the models' maps of one method and target agree (agreement=true), compared at the analysis size.</summary>
/// <param name="Method">The CAM method.</param>
/// <param name="Target">The target as the request wrote it: "top-1" (each model's own top class), an index or a label.</param>
/// <param name="Models">The models compared, in the order asked: the rows and columns of the matrices.</param>
/// <param name="Spearman">N×N Spearman rank correlations of the normalised maps over the pixels every model sees; the diagonal is 1.</param>
/// <param name="TopPercent">The share of pixels, in percent, of each map's top region.</param>
/// <param name="TopPercentIou">N×N intersection over union of the maps' top regions.</param>
/// <param name="ConsensusPng">The mean of the normalised maps, coloured, at the rendered size (base64 PNG; transparent where a model's crop ends).</param>
/// <param name="DisagreementPng">Their per-pixel standard deviation, doubled so that the colormap's top is the most two maps can differ (base64 PNG).</param>
/// <param name="Analysis">The size the numbers were computed at: the upright image with its long side at most 256 px.</param>
public sealed record AgreementResult(
    string Method,
    string Target,
    IReadOnlyList<string> Models,
    double[][] Spearman,
    double TopPercent,
    double[][] TopPercentIou,
    byte[] ConsensusPng,
    byte[] DisagreementPng,
    ImageSize Analysis);
