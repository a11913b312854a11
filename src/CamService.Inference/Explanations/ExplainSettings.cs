using CamService.Inference.Methods;
using CamService.Inference.Runtime;

namespace CamService.Inference.Explanations;

/// <summary>How to explain: which predictions to list, the methods' settings, and which session to run on.</summary>
public sealed record ExplainSettings
{
    public static readonly ExplainSettings Default = new();

    /// <summary>How many top predictions to list per image.</summary>
    public int TopK { get; init; } = 5;

    public MethodOptions Methods { get; init; } = MethodOptions.Default;

    /// <summary>Run on the model's session for when runs queue up (see <see cref="CamReadyModel.Run"/>).</summary>
    public bool UnderLoad { get; init; }
}
