using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using CamService.Inference.Explanations;
using CamService.Inference.Faithfulness;
using static CamService.Cli.Explain.Csv;

namespace CamService.Cli.Explain;

/// <summary>summary.json: what was run, on what, and one entry per (image, model, method, target).</summary>
public sealed record Summary(
    SummarySettings Settings,
    IReadOnlyList<ModelSummary> Models,
    IReadOnlyList<ImageSummary> Images,
    IReadOnlyList<GridSummary> Grids,
    IReadOnlyList<ExplanationSummary> Explanations,
    IReadOnlyList<Failure> Failures,
    IReadOnlyList<AgreementSummary>? Agreements = null)
{
    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static Summary FromJson(string json) => JsonSerializer.Deserialize<Summary>(json, Json)!;

    /// <summary>
    /// summary.csv: one row per explanation with the same fields as the JSON, the predictions spread over
    /// pred1_index, pred1_label, pred1_probability … up to the most any row has; the metrics' columns are empty
    /// where --metrics did not ask for them. RFC 4180 quoting; invariant numbers.
    /// </summary>
    public string ToCsv()
    {
        var k = Explanations.Count == 0 ? 0 : Explanations.Max(e => e.Predictions.Count);
        var header = new List<string>
        {
            "image", "model", "method", "target", "target_index", "target_label", "target_score", "target_probability", "untrained", "overlay",
            "decode_ms", "preprocess_ms", "inference_ms", "batch_images", "cam_ms", "render_ms",
            "average_drop", "increase", "deletion_auc", "insertion_auc", "metrics_forwards", "metrics_ms",
        };
        for (var i = 1; i <= k; i++)
        {
            header.AddRange([$"pred{i}_index", $"pred{i}_label", $"pred{i}_probability"]);
        }
        var csv = new StringBuilder();
        AppendRow(csv, header);
        foreach (var e in Explanations)
        {
            var (t, s) = (e.Timings, e.Metrics);
            var row = new List<string>
            {
                e.Image, e.Model, e.Method, e.Target, Number(e.TargetIndex), e.TargetLabel, Number(e.TargetScore), Number(e.TargetProbability),
                e.Untrained ? "true" : "false", e.Overlay,
                Number(t.DecodeMs), Number(t.PreprocessMs), Number(t.InferenceMs), Number(t.BatchImages), Number(t.CamMs), Number(t.RenderMs),
                Number(s?.AverageDrop), s?.Increase is { } up ? (up ? "true" : "false") : "", Number(s?.DeletionAuc), Number(s?.InsertionAuc),
                s is null ? "" : Number(s.Forwards), Number(s?.Ms),
            };
            for (var i = 0; i < k; i++)
            {
                row.AddRange(i < e.Predictions.Count
                    ? [Number(e.Predictions[i].Index), e.Predictions[i].Label, Number(e.Predictions[i].Probability)]
                    : ["", "", ""]);
            }
            AppendRow(csv, row);
        }
        return csv.ToString();
    }
}

/// <summary>The settings the pictures were made with.</summary>
public sealed record SummarySettings(
    IReadOnlyList<string> Methods,
    IReadOnlyList<string> Targets,
    int Batch,
    string Resize,
    int MaxSize,
    int TopK,
    string Colormap,
    float Alpha,
    string Format,
    int GridCell,
    int ScoreCamChannels);

/// <summary>A model as loaded: its name (file name), input size, whether its weights are random, and its size (as GET /models and the GIF captions give it).</summary>
/// <param name="GigaMacs">Multiply–accumulates per image in billions, when the model file records them.</param>
public sealed record ModelSummary(string Name, string Path, string? Architecture, bool Untrained, string Device, int InputWidth, int InputHeight,
    long Parameters, double? GigaMacs);

/// <summary>An input image: its size and format once decoded, or why it could not be.</summary>
public sealed record ImageSummary(string Id, string Path, int? Width, int? Height, string? Format, double? DecodeMs, string? Error);

/// <summary>A grid picture's legend: its rows are images, its columns models, in these orders.</summary>
public sealed record GridSummary(string File, string Method, string Target, int Cell, int Gap, IReadOnlyList<string> Rows, IReadOnlyList<string> Columns);

/// <summary>One map: the image's top-k, the target explained with its score and probability, the overlay and the timings.</summary>
/// <param name="Target">The target as asked ("top1", an index or a label made file-safe).</param>
/// <param name="TargetIndex">The class explained (for "top1", this model's top-1 on this image).</param>
/// <param name="TargetScore">Its logit.</param>
/// <param name="Overlay">The overlay's path inside the output folder.</param>
/// <param name="Metrics">Its faithfulness scores (--metrics; absent otherwise): only the metrics asked for, ms rounded.</param>
public sealed record ExplanationSummary(
    string Image,
    string Model,
    string Method,
    string Target,
    int TargetIndex,
    string TargetLabel,
    float TargetScore,
    float TargetProbability,
    bool Untrained,
    IReadOnlyList<Prediction> Predictions,
    string Overlay,
    Timings Timings,
    FaithfulnessScores? Metrics = null);

/// <summary>Milliseconds of each stage of one map.</summary>
/// <param name="DecodeMs">Reading and decoding the image (once for every model).</param>
/// <param name="PreprocessMs">The image to this model's input tensor.</param>
/// <param name="InferenceMs">The model run that gave logits, activations and gradients for the whole batch.</param>
/// <param name="BatchImages">How many images shared that run.</param>
/// <param name="CamMs">The method's map.</param>
/// <param name="RenderMs">The overlay (mapped back, blended, encoded, written) and its grid cell.</param>
public sealed record Timings(double DecodeMs, double PreprocessMs, double InferenceMs, int BatchImages, double CamMs, double RenderMs);

/// <summary>An image that could not be explained: unreadable (no model), or a model's output for it was not finite.</summary>
public sealed record Failure(string Image, string? Model, string Error);

/// <summary>How far the models' maps of one image, method and target agree (--agreement), as POST /cam's agreement.</summary>
/// <param name="Models">The models compared, in the run's order: the rows and columns of the matrices (a model whose output was not finite is left out).</param>
/// <param name="Spearman">N×N Spearman rank correlations of the normalised maps over the pixels every model sees; the diagonal is 1.</param>
/// <param name="TopPercent">The share of pixels, in percent, of each map's top region.</param>
/// <param name="TopPercentIou">N×N intersection over union of the maps' top regions.</param>
/// <param name="Consensus">The consensus picture's path inside the output folder.</param>
/// <param name="Disagreement">The disagreement picture's path.</param>
public sealed record AgreementSummary(
    string Image,
    string Method,
    string Target,
    IReadOnlyList<string> Models,
    double[][] Spearman,
    double TopPercent,
    double[][] TopPercentIou,
    string Consensus,
    string Disagreement);
