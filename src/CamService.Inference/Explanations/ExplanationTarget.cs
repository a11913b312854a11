using System.Globalization;
using CamService.Inference.Runtime;

namespace CamService.Inference.Explanations;

/// <summary>What a map explains: a class index, an exact label, or the model's own top-1 when neither.</summary>
public sealed record ExplanationTarget(int? Index, string? Label)
{
    public static readonly ExplanationTarget TopOne = new(null, null);

    public static readonly IReadOnlyList<ExplanationTarget> TopOneOnly = [TopOne];

    /// <summary>
    /// A comma-separated list of class indices or exact labels ("281,285", "tabby, tiger cat" is one
    /// label only if the model has it — a label holding a comma cannot be listed); empty means top-1.
    /// </summary>
    public static IReadOnlyList<ExplanationTarget> ParseList(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return TopOneOnly;
        }
        return text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(Parse).ToList();
    }

    /// <summary>One target: a non-negative integer is a class index, anything else a label.</summary>
    public static ExplanationTarget Parse(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? new(index, null) : new(null, text.Trim());

    /// <summary>The class this target names in <paramref name="model"/>, or null for top-1.</summary>
    /// <exception cref="TargetException">The index is out of range or no class has the label.</exception>
    public int? Resolve(CamReadyModel model, string modelName)
    {
        if (Index is { } index)
        {
            return index < model.NumClasses
                ? index
                : throw new TargetException($"Class {index} is out of range for model '{modelName}' ({model.NumClasses} classes).");
        }
        if (Label is { } label)
        {
            var found = model.Labels is { } labels ? IndexOf(labels, label) : -1;
            return found >= 0
                ? found
                : throw new TargetException($"Model '{modelName}' has no class labelled '{label}' (labels are matched exactly; see /models/{modelName}/labels).");
        }
        return null;
    }

    static int IndexOf(IReadOnlyList<string> labels, string label)
    {
        for (var i = 0; i < labels.Count; i++)
        {
            if (labels[i] == label)
            {
                return i;
            }
        }
        return -1;
    }

    public override string ToString() => Index?.ToString(CultureInfo.InvariantCulture) ?? Label ?? "top-1";
}
