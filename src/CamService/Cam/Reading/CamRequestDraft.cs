using CamService.Imaging;
using CamService.Inference.Explanations;
using CamService.Inference.Faithfulness;
using CamService.Inference.Methods;

namespace CamService.Cam.Reading;

/// <summary>
/// A request's values while its fields are read, with what the rules read them against (the options, the methods,
/// the caller's default maxSize); every rule sets its value, the field's default when it is absent.
/// </summary>
sealed class CamRequestDraft(ReadOnlyMemory<byte> image, CamOptions options, CamMethods methods, int? defaultMaxSize)
{
    public CamOptions Options => options;
    public CamMethods KnownMethods => methods;

    /// <summary>maxSize when the request gives none: the caller's, else Cam:DefaultMaxSize.</summary>
    public int DefaultMaxSize => defaultMaxSize ?? options.DefaultMaxSize;

    public IReadOnlyList<string>? Models { get; set; }
    public IReadOnlyList<ExplanationTarget> Targets { get; set; } = [];
    public IReadOnlyList<CamMethod> Methods { get; set; } = [];
    public int TopK { get; set; }
    public Colormap Colormap { get; set; }
    public float Alpha { get; set; }
    public ResizeMode Resize { get; set; }
    public ResultParts Outputs { get; set; }
    public int MaxSize { get; set; }
    public OverlayFormat? Format { get; set; }
    public int ScoreCamChannels { get; set; }
    public FaithfulnessMetrics Metrics { get; set; }
    public int MetricSteps { get; set; }
    public bool Agreement { get; set; }
    public double AgreementTopPercent { get; set; }

    public CamRequest ToRequest() => new(image, Models, Targets, Methods, TopK, Colormap, Alpha, Resize, Outputs, MaxSize, Format,
        MethodOptions.Default with { ScoreCamChannels = ScoreCamChannels }, Metrics, MetricSteps, Agreement, AgreementTopPercent);
}
