using CamService.Inference.Runtime;

namespace CamService.Models;

/// <summary>Where a model is in its life: found, serving, or failed with a reason.</summary>
public enum ModelStatus
{
    Loading,
    Ready,
    Failed,
}

/// <summary>
/// One model file of the models folder and its state. Read by requests while the loader fills it in; a replaced
/// file's model is swapped in whole (<see cref="Adopt"/>), and requests run on a <see cref="Lease"/>, so the model
/// they started on stays open until they finish.
/// </summary>
public sealed class ModelEntry(string id, string path, FileStamp? stamp = null)
{
    volatile ModelState state = new(ModelStatus.Loading, null, null, null);

    /// <summary>The file name without extension.</summary>
    public string Id { get; } = id;

    public string Path { get; } = path;

    /// <summary>The file's size and time of last write when it was last read: a change means the file was replaced.</summary>
    public FileStamp? Stamp { get; internal set; } = stamp;

    public ModelStatus Status => state.Status;

    /// <summary>Why the model failed to load.</summary>
    public string? Error => state.Error;

    /// <summary>
    /// The loaded model, once <see cref="Status"/> is Ready: for facts about it. Running it takes a
    /// <see cref="Lease"/>, since a replaced or removed model is disposed once its last lease ends.
    /// </summary>
    public CamReadyModel? Model => state.Served?.Model;

    /// <summary>Median warm-up latency of one image with one target, in milliseconds.</summary>
    public double? LatencyMs => state.LatencyMs;

    /// <summary>A hold on the model now served, or null when none is (loading, failed or removed).</summary>
    public ModelLease? Lease()
    {
        while (true)
        {
            var served = state.Served;
            if (served is null)
            {
                return null;
            }
            if (served.TryHold())
            {
                return new ModelLease(served);
            }
            // Swapped out and disposed between the two reads: the state holds its successor (or nothing) now.
        }
    }

    internal void MarkReady(CamReadyModel model, double latencyMs) => Swap(new(ModelStatus.Ready, null, new ServedModel(model), latencyMs));

    /// <summary>The served model's latency, measured again (by a thread measurement of its fastest setting, with the machine to itself).</summary>
    internal void Retimed(double latencyMs)
    {
        if (state.Served is not null)
        {
            state = state with { LatencyMs = latencyMs };
        }
    }

    internal void MarkFailed(string error) => Swap(new(ModelStatus.Failed, error, null, null));

    /// <summary>
    /// Takes over what <paramref name="candidate"/> (the same model loaded from a new file) loaded: its model, swapped
    /// in at once, the old one disposed when its last request ends. A candidate that failed replaces nothing that
    /// serves (the old model keeps serving; the loader logged why); returns whether the candidate's state was taken.
    /// </summary>
    internal bool Adopt(ModelEntry candidate, FileStamp? stamp)
    {
        Stamp = stamp;
        var next = candidate.state;
        if (next.Served is null && state.Served is not null)
        {
            return false;
        }
        Swap(next);
        return true;
    }

    /// <summary>The file is gone: nothing is served any more, and the model is disposed when its last request ends.</summary>
    internal void Retire() => Swap(new(ModelStatus.Failed, "removed from the models folder", null, null));

    void Swap(ModelState next)
    {
        var previous = state;
        state = next;
        previous.Served?.LetGo();
    }

    sealed record ModelState(ModelStatus Status, string? Error, ServedModel? Served, double? LatencyMs);
}

/// <summary>A file's size and time of last write: a file that is being written changes them, a finished one keeps them.</summary>
public readonly record struct FileStamp(long Length, DateTime LastWriteUtc)
{
    /// <summary>The file's stamp, or null when it is gone.</summary>
    public static FileStamp? Of(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? new FileStamp(info.Length, info.LastWriteTimeUtc) : null;
    }
}
