using CamService.Inference.Runtime;
using CamService.Problems;

namespace CamService.Models;

/// <summary>The one place that says "unknown model" (404) and "model not ready" (503), for every endpoint.</summary>
public static class ModelLookup
{
    public static ModelEntry Known(this ModelRegistry registry, string id) =>
        registry.Find(id) ?? throw new RequestException(StatusCodes.Status404NotFound, "Unknown model",
            $"There is no model '{RequestException.EchoedName(id)}'. Models: {string.Join(", ", registry.Entries.Select(e => e.Id))}.");

    public static CamReadyModel Ready(this ModelEntry entry) =>
        entry.Model ?? throw new RequestException(StatusCodes.Status503ServiceUnavailable, "Model not ready",
            $"Model '{entry.Id}' is {entry.Status.ToString().ToLowerInvariant()}{(entry.Error is null ? "" : $": {entry.Error}")}.");
}
