namespace CamService.Inference.Faithfulness;

/// <summary>The faithfulness metrics a caller may ask for; any combination.</summary>
[Flags]
public enum FaithfulnessMetrics
{
    None = 0,

    /// <summary>Average Drop and Increase in Confidence (Chattopadhyay et al., arXiv 1710.11063): one forward pass.</summary>
    Drop = 1,

    /// <summary>Deletion curve and its area (Petsiuk et al., arXiv 1806.07421): one forward pass per step.</summary>
    Deletion = 2,

    /// <summary>Insertion curve and its area (Petsiuk et al., arXiv 1806.07421): one forward pass per step.</summary>
    Insertion = 4,

    All = Drop | Deletion | Insertion,
}

/// <summary>The metrics' names as requests and command lines write them: a comma list of drop, deletion, insertion, or all.</summary>
public static class FaithfulnessMetricNames
{
    public static readonly IReadOnlyList<string> Names = ["drop", "deletion", "insertion"];

    /// <summary>
    /// Parses "drop,deletion", "all" and the like (case and spaces ignored). False, with the offending
    /// word in <paramref name="unknown"/>, for a name that is not a metric.
    /// </summary>
    public static bool TryParse(string text, out FaithfulnessMetrics metrics, out string? unknown)
    {
        metrics = FaithfulnessMetrics.None;
        unknown = null;
        foreach (var name in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            FaithfulnessMetrics? one = name.ToLowerInvariant() switch
            {
                "drop" => FaithfulnessMetrics.Drop,
                "deletion" => FaithfulnessMetrics.Deletion,
                "insertion" => FaithfulnessMetrics.Insertion,
                "all" => FaithfulnessMetrics.All,
                _ => null,
            };
            if (one is null)
            {
                unknown = name;
                return false;
            }
            metrics |= one.Value;
        }
        return true;
    }
}
