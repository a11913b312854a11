using System.Globalization;
using CamService.Imaging;
using CamService.Inference.Agreement;
using CamService.Inference.Explanations;
using CamService.Inference.Faithfulness;

namespace CamService.Cam.Reading;

/// <summary>
/// A field of POST /cam: its name, whether it takes a list (comma-separated, or in JSON an array), and its rule,
/// which reads the field's text into the draft (with its limit and default) or throws the 400 that names it.
/// The image has no rule: the readers take it out of the body.
/// </summary>
sealed record CamField(string Name, Action<FieldText, CamRequestDraft>? Read, bool IsList = false);

/// <summary>
/// The fields of POST /cam, in the order they are checked: the one place each field's rule and message is written,
/// for the multipart and JSON readers (names, lists) and for <see cref="CamRequestReader.Validate"/> (rules).
/// </summary>
static class CamFields
{
    public static readonly IReadOnlyList<CamField> All =
    [
        new("image", null),
        new("models", (f, d) => d.Models = f.Items() is { } models ? f.Distinct(models, "A model is listed twice.") : null, IsList: true),
        new("target", ReadTargets, IsList: true),
        new("topk", (f, d) => d.TopK = f.WholeNumber(1, d.Options.MaxTopK, 5, $"'topk' must be a whole number from 1 to {d.Options.MaxTopK}.")),
        new("colormap", ReadColormap),
        new("alpha", (f, d) => d.Alpha = f.Fraction(0, 1, 0.5f, "'alpha' must be a number from 0 to 1.")),
        new("resize", (f, d) => d.Resize = f.Choice("stretch", "'resize' must be 'stretch' or 'crop'.",
            ("stretch", ResizeMode.Stretch), ("crop", ResizeMode.Crop))),
        new("method", ReadMethods, IsList: true),
        new("outputs", ReadOutputs),
        new("maxSize", ReadMaxSize),
        new("format", (f, d) => d.Format = f.Choice(d.Options.DefaultFormat, "'format' must be auto, png, jpeg or webp.",
            ("auto", (OverlayFormat?)null), ("png", OverlayFormat.Png), ("jpeg", OverlayFormat.Jpeg), ("jpg", OverlayFormat.Jpeg), ("webp", OverlayFormat.Webp))),
        new("scoreCamChannels", (f, d) => d.ScoreCamChannels = f.WholeNumber(0, int.MaxValue, d.Options.DefaultScoreCamChannels,
            "'scoreCamChannels' must be a whole number of channels, 0 for all of them.")),
        new("metrics", ReadMetrics, IsList: true),
        new("metricSteps", (f, d) => d.MetricSteps = f.WholeNumber(1, d.Options.MaxMetricSteps, Math.Min(FaithfulnessOptions.DefaultSteps, d.Options.MaxMetricSteps),
            $"'metricSteps' must be a whole number from 1 to {d.Options.MaxMetricSteps} (Cam:MaxMetricSteps).")),
        new("agreement", (f, d) => d.Agreement = f.Choice("false", "'agreement' must be true or false.", ("false", false), ("true", true))),
        new("agreementTopPercent", (f, d) => d.AgreementTopPercent = f.Number(1, 99, MapAgreement.DefaultTopPercent,
            "'agreementTopPercent' must be a number from 1 to 99 (percent of the pixels).")),
    ];

    /// <summary>Every field's name, as an unknown field's 400 lists them.</summary>
    public static readonly IReadOnlyList<string> Names = [.. All.Select(f => f.Name)];

    static readonly HashSet<string> Lists = new(All.Where(f => f.IsList).Select(f => f.Name), StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether the field takes a list (of at most Cam:MaxMapsPerRequest items).</summary>
    public static bool IsList(string name) => Lists.Contains(name);

    static void ReadTargets(FieldText field, CamRequestDraft draft)
    {
        var negative = (field.Items() ?? []).FirstOrDefault(t => t.StartsWith('-') && int.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _));
        if (negative is not null)
        {
            throw field.Bad($"A class index cannot be negative ('{negative}'); leave 'target' out for each model's top-1.");
        }
        draft.Targets = field.Distinct(ExplanationTarget.ParseList(field.Text), "A target is listed twice.");
    }

    static void ReadColormap(FieldText field, CamRequestDraft draft) => draft.Colormap = field.Text is not { } text
        ? Colormap.Jet
        : Enum.TryParse<Colormap>(text, ignoreCase: true, out var map) && Enum.IsDefined(map) && !int.TryParse(text, out _)
            ? map
            : throw field.Bad($"'colormap' must be one of {string.Join(", ", Enum.GetNames<Colormap>().Select(n => n.ToLowerInvariant()))}.");

    static void ReadMethods(FieldText field, CamRequestDraft draft)
    {
        var names = field.Items() ?? [];
        var known = draft.KnownMethods;
        draft.Methods = names.Length == 0
            ? [known.Find(CamRequestReader.DefaultMethod)!]
            : field.Distinct(names.Select(name => known.Find(name)
                ?? throw field.Bad($"Unknown method '{name}'. Methods: {string.Join(", ", known.Names)} (see GET /methods).")).ToList(),
                "A method is listed twice.");
    }

    static void ReadOutputs(FieldText field, CamRequestDraft draft)
    {
        if (field.Items() is not { } parts)
        {
            draft.Outputs = ResultParts.All;
            return;
        }
        draft.Outputs = ResultParts.None;
        foreach (var part in parts)
        {
            draft.Outputs |= field.OneOf(part.ToLowerInvariant(), $"Unknown output '{part}'; 'outputs' lists any of cam, heatmap, overlay.",
                ("cam", ResultParts.Cam), ("heatmap", ResultParts.Heatmap), ("overlay", ResultParts.Overlay));
        }
    }

    /// <summary>0 (the image's size) is the ceiling: a larger image is drawn at it, a smaller one at its own size.</summary>
    static void ReadMaxSize(FieldText field, CamRequestDraft draft)
    {
        var ceiling = draft.Options.MaxRenderSize;
        var size = field.WholeNumber(0, ceiling, draft.DefaultMaxSize,
            $"'maxSize' must be a whole number of pixels from 0 (the image's size, at most {ceiling}) to {ceiling} (Cam:MaxRenderSize).");
        draft.MaxSize = size == 0 ? ceiling : size;
    }

    static void ReadMetrics(FieldText field, CamRequestDraft draft)
    {
        var metrics = FaithfulnessMetrics.None;
        if (field.Text is { } names && !FaithfulnessMetricNames.TryParse(names, out metrics, out var unknown))
        {
            throw field.Bad($"Unknown metric '{unknown}'; 'metrics' lists any of {string.Join(", ", FaithfulnessMetricNames.Names)}, or is 'all'.");
        }
        draft.Metrics = metrics;
    }
}
