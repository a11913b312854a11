using CamService.Inference.Methods;

namespace CamService.Inference.Faithfulness;

/// <summary>Settings of the faithfulness metrics; defaults documented here.</summary>
public sealed record FaithfulnessOptions
{
    public static readonly FaithfulnessOptions Default = new();

    /// <summary>RISE's curves are usually drawn with a few dozen points; 20 keeps a 224 px image at 40 forwards.</summary>
    public const int DefaultSteps = 20;

    /// <summary>Points of the deletion and insertion curves after the first: each a forward pass (see <see cref="FaithfulnessEvaluator"/>).</summary>
    public int Steps { get; init; } = DefaultSteps;

    /// <summary>Images per batched forward pass; the methods' batch size by default.</summary>
    public int BatchSize { get; init; } = MethodOptions.Default.BatchSize;
}
