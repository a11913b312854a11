using CamService.Inference.Runtime;

namespace CamService.Models;

/// <summary>Where a model is in its life: found, serving, or failed with a reason.</summary>
public enum ModelStatus
{
    Loading,
    Ready,
    Failed,
}

/// <summary>One model file of the models folder and its state. Read by requests while the loader fills it in.</summary>
public sealed class ModelEntry(string id, string path)
{
    volatile ModelState state = new(ModelStatus.Loading, null, null, null);

    /// <summary>The file name without extension.</summary>
    public string Id { get; } = id;

    public string Path { get; } = path;

    public ModelStatus Status => state.Status;

    /// <summary>Why the model failed to load.</summary>
    public string? Error => state.Error;

    /// <summary>The loaded model, once <see cref="Status"/> is Ready.</summary>
    public CamReadyModel? Model => state.Model;

    /// <summary>Median warm-up latency of one image with one target, in milliseconds.</summary>
    public double? LatencyMs => state.LatencyMs;

    internal void MarkReady(CamReadyModel model, double latencyMs) => state = new(ModelStatus.Ready, null, model, latencyMs);

    internal void MarkFailed(string error) => state = new(ModelStatus.Failed, error, null, null);

    sealed record ModelState(ModelStatus Status, string? Error, CamReadyModel? Model, double? LatencyMs);
}
