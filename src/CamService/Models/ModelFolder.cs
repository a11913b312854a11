using Microsoft.Extensions.Options;

namespace CamService.Models;

/// <summary>What one rescan of the models folder did.</summary>
/// <param name="Added">Ids of new files now loaded (ready or failed).</param>
/// <param name="Replaced">Ids of changed files whose new model now serves.</param>
/// <param name="Removed">Ids of files that are gone and no longer offered.</param>
/// <param name="Unsettled">Whether a new or changed file was still changing: a later rescan looks again.</param>
public sealed record FolderChanges(IReadOnlyList<string> Added, IReadOnlyList<string> Replaced, IReadOnlyList<string> Removed, bool Unsettled);

/// <summary>
/// Keeps the registry in step with the models folder while the service serves. A new file is loaded and warmed
/// up by the same path as at start-up and offered only then; a changed file is loaded beside the model that
/// serves and swapped in whole once ready (requests in flight finish on the old one, which is disposed after
/// them); a removed file is no longer offered. A file is read only once it is settled: the same size and time of
/// last write at two rescans in a row (Models:SettleMilliseconds apart), so a model still being copied is not
/// read half-written. Names starting with '.' are skipped (rsync's and the upload's temporary files, Kubernetes'
/// ..data links). One change at a time: rescans and the management API take turns.
/// </summary>
public sealed class ModelFolder(ModelRegistry registry, ModelLoader loader, IOptions<ModelsOptions> options, ILogger<ModelFolder> logger)
{
    readonly SemaphoreSlim turn = new(1, 1);
    readonly Dictionary<string, FileStamp> unsettled = new(StringComparer.Ordinal);

    /// <summary>
    /// The *.onnx files of <paramref name="directory"/> (not its subfolders), skipping hidden and temporary names,
    /// and those gone between the listing and the look at them.
    /// </summary>
    public static IEnumerable<(string Id, string Path, FileStamp Stamp)> Files(string directory) =>
        Directory.EnumerateFiles(directory, "*.onnx")
            .Where(path => !Path.GetFileName(path).StartsWith('.'))
            .Order(StringComparer.Ordinal)
            .Select(path => (Id: Path.GetFileNameWithoutExtension(path), Path: path, Stamp: FileStamp.Of(path)))
            .Where(file => file.Stamp is not null)
            .Select(file => (file.Id, file.Path, file.Stamp!.Value));

    /// <summary>Looks at the folder once and applies what changed (see the class's rule).</summary>
    public Task<FolderChanges> RescanAsync(CancellationToken cancellationToken) => InTurnAsync(() => ApplyAsync(cancellationToken), cancellationToken);

    /// <summary>
    /// Loads the model staged at <paramref name="staged"/> (an upload) as <paramref name="id"/>; once it is ready, moves
    /// the file into the folder as {id}.onnx and serves it, new or in place of the model of that id. Returns the entry
    /// that serves it and whether it is new; or, when it failed, the failed candidate (nothing changed, the staged file stays).
    /// </summary>
    public Task<(ModelEntry Entry, bool Created)> InstallAsync(string id, string staged, CancellationToken cancellationToken) => InTurnAsync(async () =>
    {
        var candidate = new ModelEntry(id, staged);
        await loader.LoadAsync(candidate, cancellationToken);
        if (candidate.Status != ModelStatus.Ready)
        {
            return (candidate, false);
        }
        var path = Path.Combine(registry.Directory, $"{id}.onnx");
        File.Move(staged, path, overwrite: true);
        var stamp = FileStamp.Of(path);
        unsettled.Remove(id);
        var entry = registry.Find(id);
        var created = entry is null;
        entry ??= new ModelEntry(id, path);
        entry.Adopt(candidate, stamp);
        if (created)
        {
            registry.Add(entry);
        }
        logger.LogInformation("Model {Model} {Change} through the management API", id, created ? "added" : "replaced");
        return (entry, created);
    }, cancellationToken);

    /// <summary>Loads model <paramref name="id"/>'s file again and swaps it in once ready; returns the candidate (failed: the old model serves on). 404 for an unknown id.</summary>
    public Task<ModelEntry> ReloadAsync(string id, CancellationToken cancellationToken) => InTurnAsync(() =>
    {
        var entry = registry.Known(id);
        return ReplaceAsync(entry, entry.Path, FileStamp.Of(entry.Path), cancellationToken);
    }, cancellationToken);

    /// <summary>Deletes model <paramref name="id"/>'s file and stops offering it; its model is disposed once the requests on it finish. 404 for an unknown id.</summary>
    public Task DeleteAsync(string id, CancellationToken cancellationToken) => InTurnAsync(() =>
    {
        var entry = registry.Known(id);
        File.Delete(entry.Path);
        unsettled.Remove(id);
        registry.Remove(entry);
        logger.LogInformation("Model {Model} removed through the management API", id);
        return Task.FromResult(entry);
    }, cancellationToken);

    /// <summary>Runs <paramref name="change"/> in turn with the folder's own changes: for others that swap a model in (the thread refinement).</summary>
    internal async Task<T> InTurnAsync<T>(Func<Task<T>> change, CancellationToken cancellationToken)
    {
        await turn.WaitAsync(cancellationToken);
        try
        {
            return await change();
        }
        finally
        {
            turn.Release();
        }
    }

    async Task<FolderChanges> ApplyAsync(CancellationToken cancellationToken)
    {
        List<string> added = [], replaced = [], removed = [];
        var present = new HashSet<string>(StringComparer.Ordinal);
        var waiting = false;
        var files = Directory.Exists(registry.Directory) ? Files(registry.Directory).ToList() : [];
        foreach (var (id, path, stamp) in files)
        {
            present.Add(id);
            var entry = registry.Find(id);
            if (entry?.Stamp == stamp || !Settled(id, stamp))
            {
                waiting |= entry?.Stamp != stamp;
                continue;
            }
            if (entry is null)
            {
                await AddAsync(new ModelEntry(id, path, stamp), cancellationToken);
                added.Add(id);
            }
            else if ((await ReplaceAsync(entry, path, stamp, cancellationToken)).Status == ModelStatus.Ready)
            {
                replaced.Add(id);
            }
        }
        foreach (var entry in registry.Entries.Where(e => !present.Contains(e.Id)))
        {
            registry.Remove(entry);
            removed.Add(entry.Id);
            logger.LogInformation("Model {Model} is no longer offered: its file is gone", entry.Id);
        }
        foreach (var id in unsettled.Keys.Where(id => !present.Contains(id)).ToList())
        {
            unsettled.Remove(id);
        }
        return new FolderChanges(added, replaced, removed, waiting);
    }

    /// <summary>Whether the file had this stamp at the previous rescan already (or settling is off); remembers it otherwise.</summary>
    bool Settled(string id, FileStamp stamp)
    {
        if (options.Value.SettleMilliseconds == 0 || unsettled.GetValueOrDefault(id) == stamp)
        {
            unsettled.Remove(id);
            return true;
        }
        unsettled[id] = stamp;
        return false;
    }

    /// <summary>Loads a new model, then offers it (ready or failed, as at start-up).</summary>
    async Task AddAsync(ModelEntry entry, CancellationToken cancellationToken)
    {
        await loader.LoadAsync(entry, cancellationToken);
        registry.Add(entry);
        logger.LogInformation("Model {Model} added: {Status}", entry.Id, entry.Status.ToString().ToLowerInvariant());
    }

    /// <summary>
    /// Loads the model at <paramref name="path"/> beside <paramref name="entry"/>'s and swaps it in once ready;
    /// returns the candidate it loaded. A file that fails leaves the serving model in place.
    /// </summary>
    async Task<ModelEntry> ReplaceAsync(ModelEntry entry, string path, FileStamp? stamp, CancellationToken cancellationToken)
    {
        var candidate = new ModelEntry(entry.Id, path, stamp);
        await loader.LoadAsync(candidate, cancellationToken);
        var taken = entry.Adopt(candidate, stamp);
        if (candidate.Status == ModelStatus.Ready)
        {
            logger.LogInformation("Model {Model} replaced: the new file's model serves from now on", entry.Id);
        }
        else if (!taken)
        {
            logger.LogWarning("Model {Model}: its new file failed to load ({Reason}); the previous model keeps serving", entry.Id, candidate.Error);
        }
        return candidate;
    }
}
