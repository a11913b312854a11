namespace CamService.Onnx.CamReady;

/// <summary>Choices for <see cref="CamReadyBuilder.Prepare"/>; anything left null comes from the model.</summary>
public sealed record PrepareOptions
{
    /// <summary>The target tensor's name; found automatically when null.</summary>
    public string? TargetLayer { get; init; }

    /// <summary>The layout of a named target layer; when null, a 3-D tensor is a token sequence and a 4-D one NCHW.</summary>
    public TensorLayout? TargetLayout { get; init; }

    /// <summary>The grid a token sequence folds into (rows, columns); inferred from the token count and the image's aspect when null.</summary>
    public (int Height, int Width)? Grid { get; init; }

    /// <summary>The classifier output to explain; the first graph output when null.</summary>
    public string? Output { get; init; }

    public IReadOnlyList<string>? Labels { get; init; }

    /// <summary>A labels file to name in the metadata instead of inlining labels.</summary>
    public string? LabelsFile { get; init; }

    public float[]? Mean { get; init; }

    public float[]? Std { get; init; }

    public WeightsKind? Weights { get; init; }
}
