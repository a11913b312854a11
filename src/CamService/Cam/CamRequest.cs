using CamService.Imaging;
using CamService.Inference.Agreement;
using CamService.Inference.Explanations;
using CamService.Inference.Faithfulness;
using CamService.Inference.Methods;

namespace CamService.Cam;

/// <summary>The parts of each result besides predictions and target.</summary>
[Flags]
public enum ResultParts
{
    None = 0,

    /// <summary>The raw map (cam).</summary>
    Cam = 1,

    /// <summary>The coloured map alone (heatmapPng).</summary>
    Heatmap = 2,

    /// <summary>The map over the photo (overlayPng, overlayJpeg or overlayWebp).</summary>
    Overlay = 4,

    All = Cam | Heatmap | Overlay,
}

/// <summary>
/// A parsed, validated POST /cam request (field by field, as documented in the API). Every model explains
/// every target with every method: <see cref="MapsPerModel"/> maps each. MaxSize is the long side of the
/// pictures in pixels; 0 = the image's own size (never larger). Format null is auto: the overlay is encoded
/// like the upload (<see cref="CamExplainer.AutoFormat"/>). MethodOptions null is the methods' defaults.
/// Metrics are scored for every map, MetricSteps points per curve; Agreement compares the models' maps of each
/// method and target, their top AgreementTopPercent % regions among other things.
/// </summary>
public sealed record CamRequest(
    ReadOnlyMemory<byte> Image,
    IReadOnlyList<string>? Models,
    IReadOnlyList<ExplanationTarget> Targets,
    IReadOnlyList<CamMethod> Methods,
    int TopK,
    Colormap Colormap,
    float Alpha,
    ResizeMode Resize,
    ResultParts Outputs = ResultParts.All,
    int MaxSize = 0,
    OverlayFormat? Format = OverlayFormat.Png,
    MethodOptions? MethodOptions = null,
    FaithfulnessMetrics Metrics = FaithfulnessMetrics.None,
    int MetricSteps = FaithfulnessOptions.DefaultSteps,
    bool Agreement = false,
    double AgreementTopPercent = MapAgreement.DefaultTopPercent)
{
    public int MapsPerModel => Spec.MapsPerModel;

    /// <summary>What every model explains, and how (the explanation path's side of the request).</summary>
    public ExplanationSpec Spec => new(Targets, Methods, Resize, TopK, MethodOptions ?? MethodOptions.Default, Metrics, MetricSteps);
}

/// <summary>The fields of POST /cam as they arrive, for documentation (multipart/form-data).</summary>
/// <param name="Image">The photo: JPEG, PNG or WebP.</param>
/// <param name="Models">Comma-separated model ids (default: every ready model).</param>
/// <param name="Target">Comma-separated class indices or exact labels, e.g. "281,285" (default: each model's own top-1).</param>
/// <param name="Topk">How many top predictions to list (default 5).</param>
/// <param name="Colormap">jet (default), turbo, viridis or inferno.</param>
/// <param name="Alpha">Overlay opacity from 0 to 1 (default 0.5).</param>
/// <param name="Resize">stretch (default: the whole image to the model input) or crop (shorter side, then centre crop).</param>
/// <param name="Method">Comma-separated CAM methods, e.g. "gradcam,scorecam" (default gradcam); GET /methods lists them.</param>
/// <param name="Outputs">Comma-separated parts of each result: any of cam, heatmap, overlay (default all three).</param>
/// <param name="MaxSize">Long side of the heatmap and overlay in pixels (default 1280, Cam:DefaultMaxSize), at most Cam:MaxRenderSize (4096); 0 = the image's size up to that ceiling. Never larger than the image. All the answer's pictures together have at most Cam:MaxOutputPixels (32 M) pixels.</param>
/// <param name="Format">The overlay's encoding: auto (default: like the upload, PNG for a PNG, JPEG for a JPEG or WebP), png (overlayPng), jpeg (overlayJpeg) or webp (overlayWebp).</param>
/// <param name="ScoreCamChannels">Score-CAM: how many channels, those most activated, get a forward pass each; 0 = all (default Cam:DefaultScoreCamChannels).</param>
/// <param name="Metrics">Faithfulness metrics of every map, comma-separated: any of drop, deletion, insertion, or all (default none), on the preprocessed image with the map upsampled and min-max normalised to [0, 1]; Y is the target's probability on the image. drop (Chattopadhyay et al., Grad-CAM++, arXiv 1710.11063): O on the image times the map, averageDrop = max(0, Y − O) / Y × 100, increase = O &gt; Y; 1 forward pass. deletion and insertion (Petsiuk et al., RISE, arXiv 1806.07421): pixels by map value, highest first, set to 0 (the mean after normalisation) or put back into a blurred copy (Gaussian, 11 taps, σ 5) in metricSteps steps; the area under the probability curve over [0, 1] by the trapezoid rule, lower is better for deletion and higher for insertion; metricSteps forward passes each.</param>
/// <param name="MetricSteps">Points of the deletion and insertion curves after the first (default 20, at most Cam:MaxMetricSteps).</param>
/// <param name="Agreement">true: compare the models' maps of each method and target, each projected onto a 256 px view of the upright image through its own resize or crop and min-max normalised over the pixels all cover: Spearman rank correlation and IoU of the top agreementTopPercent % pixels for every pair, the consensus (mean) and disagreement (standard deviation) maps; needs two models or more (default false).</param>
/// <param name="AgreementTopPercent">The share of pixels, in percent (1 to 99), whose overlap agreement reports (default 20).</param>
/// <remarks>The answer holds one result per model, method and target: models outer, then methods, then targets, each in the order asked.</remarks>
public sealed record CamFormFields(IFormFile Image, string? Models, string? Target, int? Topk, string? Colormap, float? Alpha, string? Resize, string? Method,
    string? Outputs, int? MaxSize, string? Format, int? ScoreCamChannels, string? Metrics, int? MetricSteps, bool? Agreement, double? AgreementTopPercent);

/// <summary>The JSON form of POST /cam: the same fields, with the image as base64 (a data: URL is accepted too).</summary>
/// <param name="Image">Base64 of a JPEG, PNG or WebP file.</param>
/// <param name="Models">Comma-separated model ids (or a JSON array of ids).</param>
/// <param name="Target">Comma-separated class indices or exact labels (or a JSON array of them).</param>
/// <param name="Topk">How many top predictions to list (default 5).</param>
/// <param name="Colormap">jet (default), turbo, viridis or inferno.</param>
/// <param name="Alpha">Overlay opacity from 0 to 1 (default 0.5).</param>
/// <param name="Resize">stretch (default) or crop.</param>
/// <param name="Method">Comma-separated CAM methods (or a JSON array of names; default gradcam).</param>
/// <param name="Outputs">Comma-separated parts: any of cam, heatmap, overlay (default all three).</param>
/// <param name="MaxSize">Long side of the pictures in pixels (default 1280, at most 4096); 0 = the image's size up to 4096.</param>
/// <param name="Format">The overlay's encoding: auto (default: like the upload), png, jpeg or webp.</param>
/// <param name="ScoreCamChannels">Score-CAM's channels with a forward pass each; 0 = all.</param>
/// <param name="Metrics">Faithfulness metrics: any of drop (Average Drop and Increase in Confidence, arXiv 1710.11063), deletion, insertion (RISE, arXiv 1806.07421), or all (default none); the formulas as in the multipart form's field.</param>
/// <param name="MetricSteps">Points of the deletion and insertion curves after the first (default 20).</param>
/// <param name="Agreement">true compares the models' maps of each method and target (needs two models or more).</param>
/// <param name="AgreementTopPercent">The top share of pixels, 1 to 99 %, whose overlap agreement reports (default 20).</param>
public sealed record CamJsonBody(string Image, string? Models, string? Target, int? Topk, string? Colormap, float? Alpha, string? Resize, string? Method,
    string? Outputs, int? MaxSize, string? Format, int? ScoreCamChannels, string? Metrics, int? MetricSteps, bool? Agreement, double? AgreementTopPercent);
