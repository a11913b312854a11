using CamService.Imaging;
using CamService.Inference.Agreement;
using CamService.Inference.Explanations;
using CamService.Inference.Faithfulness;
using CamService.Inference.Methods;
using CamService.Inference.Runtime;

namespace CamService.Cli.Explain;

/// <summary>What one `camservice explain` run does, parsed and checked from its command line.</summary>
public sealed record ExplainOptions
{
    public required IReadOnlyList<ImageInput> Images { get; init; }

    public required IReadOnlyList<string> ModelPaths { get; init; }

    public required IReadOnlyList<CamMethod> Methods { get; init; }

    public required IReadOnlyList<TargetChoice> Targets { get; init; }

    public required string OutputDirectory { get; init; }

    /// <summary>Images per model run.</summary>
    public int Batch { get; init; } = 8;

    /// <summary>Long side of the overlays in pixels; 0 = each image's own size. Never larger than the image.</summary>
    public int MaxSize { get; init; } = 1280;

    public ResizeMode Resize { get; init; } = ResizeMode.Stretch;

    public int TopK { get; init; } = 5;

    public float Alpha { get; init; } = 0.5f;

    public Colormap Colormap { get; init; } = Colormap.Jet;

    public OverlayFormat Format { get; init; } = OverlayFormat.Png;

    /// <summary>JPEG and WebP quality, 1–100.</summary>
    public int Quality { get; init; } = 90;

    /// <summary>Side of a grid's square cells in pixels.</summary>
    public int GridCell { get; init; } = 256;

    public MethodOptions MethodOptions { get; init; } = MethodOptions.Default;

    public ExecutionSettings Execution { get; init; } = new();

    /// <summary>Faithfulness metrics of every map (--metrics); none by default.</summary>
    public FaithfulnessMetrics Metrics { get; init; } = FaithfulnessMetrics.None;

    /// <summary>Points of the deletion and insertion curves after the first.</summary>
    public int MetricSteps { get; init; } = FaithfulnessOptions.DefaultSteps;

    /// <summary>Whether the models' maps of each image, method and target are compared (two models or more).</summary>
    public bool Agreement { get; init; }

    /// <summary>The share of pixels, in percent, of each map's top region in the agreement.</summary>
    public double AgreementTopPercent { get; init; } = MapAgreement.DefaultTopPercent;

    /// <summary>Whether each image gets an animated GIF of its overlays.</summary>
    public bool Gif { get; init; }

    /// <summary>Milliseconds each GIF frame shows.</summary>
    public int GifFrameMs { get; init; } = 1000;

    /// <summary>Long side of the GIF frames' photo in pixels; never larger than the image.</summary>
    public int GifSize { get; init; } = 640;

    /// <summary>What every model explains, and how (the explanation path's side of the run).</summary>
    public ExplanationSpec Spec => new(Targets.Select(t => t.Target).ToList(), Methods, Resize, TopK, MethodOptions, Metrics, MetricSteps);
}

/// <summary>A target as asked for, and the name its files carry: "top1", the class index, or the label made safe for a file name.</summary>
public sealed record TargetChoice(ExplanationTarget Target, string Key)
{
    public const string TopOneKeyword = "top1";

    /// <summary>
    /// The comma list of --target: "top1" (each model's own top-1), class indices and exact labels, in order;
    /// nothing means top-1 alone. Two entries that would share a file name are refused.
    /// </summary>
    public static IReadOnlyList<TargetChoice> ParseList(string? text)
    {
        var parts = (text ?? TopOneKeyword).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var choices = parts.Select(p => p.Equals(TopOneKeyword, StringComparison.OrdinalIgnoreCase)
            ? new TargetChoice(ExplanationTarget.TopOne, TopOneKeyword)
            : From(ExplanationTarget.Parse(p))).ToList();
        if (choices.Count == 0)
        {
            throw new UsageException("--target lists no target.");
        }
        var twice = choices.GroupBy(c => c.Key, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
        {
            throw new UsageException($"--target lists '{twice.Key}' twice (labels are compared as file names: letters, digits, '.', '-' and '_').");
        }
        return choices;
    }

    static TargetChoice From(ExplanationTarget target) => new(target, target.Index is { } index
        ? index.ToString(System.Globalization.CultureInfo.InvariantCulture)
        : FileNames.Safe(target.Label!));
}

/// <summary>Names of files this command writes.</summary>
public static class FileNames
{
    /// <summary>Letters, digits, '.', '-' and '_' kept; anything else (spaces, slashes) becomes '_'.</summary>
    public static string Safe(string text) =>
        string.Concat(text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_'));
}
