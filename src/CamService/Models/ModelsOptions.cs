using System.ComponentModel.DataAnnotations;

namespace CamService.Models;

/// <summary>Configuration section "Models": where the models are and how they are warmed up.</summary>
public sealed class ModelsOptions : IValidatableObject
{
    public const string Section = "Models";

    /// <summary>Folder whose *.onnx files are served; plain classifiers are made CAM-ready at start-up.</summary>
    [Required(AllowEmptyStrings = false)]
    public string Directory { get; set; } = "onnx/models";

    /// <summary>Where CAM-ready versions of plain models are cached; default: ".cache" inside <see cref="Directory"/>.</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>Measured runs (after two unmeasured ones) before a model is reported ready; their median is its latency.</summary>
    [Range(1, 100)]
    public int WarmupRuns { get; set; } = 5;

    /// <summary>Whether files that appear, change or go while the service runs are picked up (<see cref="ModelWatcher"/>).</summary>
    public bool WatchFolder { get; set; } = true;

    /// <summary>Seconds between rescans of the folder whatever the file watcher reports (it misses events on some volumes); 0: only on its events.</summary>
    [Range(0, 86400)]
    public int RescanSeconds { get; set; } = 30;

    /// <summary>
    /// How long a new or changed file must keep its size and time of last write before it is read, in milliseconds:
    /// a model still being copied is not read half-written. 0 reads it at once.
    /// </summary>
    [Range(0, 600_000)]
    public int SettleMilliseconds { get; set; } = 2000;

    /// <summary>PUT and DELETE /models/{id}: off unless enabled here.</summary>
    public ModelManagementOptions Management { get; set; } = new();

    public string ResolvedCacheDirectory => CacheDirectory ?? Path.Combine(Directory, ".cache");

    /// <summary>The nested section's own limits (data annotations do not look into it by themselves).</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(Management, new ValidationContext(Management), results, validateAllProperties: true);
        return results.Select(r => new ValidationResult($"Models:Management: {r.ErrorMessage}", r.MemberNames.Select(m => $"Management.{m}")));
    }
}

/// <summary>
/// Configuration section "Models:Management": the API that adds, replaces and removes models. Off by default: a
/// client that may write models may run code of its choosing through ONNX Runtime, so turn it on only with
/// Auth:Enabled, or behind a network that only the model pipeline reaches.
/// </summary>
public sealed class ModelManagementOptions
{
    /// <summary>Whether PUT /models/{id}, POST /models/{id}/reload and DELETE /models/{id} answer (403 otherwise).</summary>
    public bool Enabled { get; set; }

    /// <summary>The largest model PUT /models/{id} takes, in megabytes (413 beyond).</summary>
    [Range(1, 16384)]
    public int MaxUploadMegabytes { get; set; } = 1024;
}
