using CamService.Inference.Runtime;
using CamService.Problems;

namespace CamService.Models;

/// <summary>The one place that says "unknown model" (404) and "model not ready" (503), for every endpoint.</summary>
public static class ModelLookup
{
    public static ModelEntry Known(this ModelRegistry registry, string id) =>
        registry.Find(id) ?? throw new RequestException(StatusCodes.Status404NotFound, "Unknown model",
            $"There is no model '{RequestException.EchoedName(id)}'. Models: {string.Join(", ", registry.Entries.Select(e => e.Id))}.");

    public static CamReadyModel Ready(this ModelEntry entry) => entry.Model ?? throw NotReady(entry);

    /// <summary>
    /// A hold on model <paramref name="id"/> for a request's run (<see cref="ModelEntry.Lease"/>): 404 when unknown (or
    /// removed meanwhile), 503 as <see cref="Ready"/> when it does not serve.
    /// </summary>
    public static ModelLease Lease(this ModelRegistry registry, string id)
    {
        while (true)
        {
            var entry = registry.Known(id);
            if (entry.Lease() is { } lease)
            {
                return lease;
            }
            if (registry.Find(id) == entry)
            {
                throw NotReady(entry);
            }
            // Removed or replaced by a new entry between the two reads: look again.
        }
    }

    static RequestException NotReady(ModelEntry entry) =>
        new(StatusCodes.Status503ServiceUnavailable, "Model not ready",
            $"Model '{entry.Id}' is {entry.Status.ToString().ToLowerInvariant()}{(entry.Error is null ? "" : $": {entry.Error}")}.");
}
