using Microsoft.Extensions.Options;

namespace CamService.Models;

/// <summary>
/// The models of the models folder, one <see cref="ModelEntry"/> per *.onnx file, by id. Entries
/// exist from start-up on; <see cref="ModelLoader"/> makes them ready (or failed) in the background.
/// </summary>
public sealed class ModelRegistry : IDisposable
{
    readonly Dictionary<string, ModelEntry> byId;
    readonly TaskCompletionSource loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ModelRegistry(IOptions<ModelsOptions> options, ILogger<ModelRegistry> logger)
    {
        Directory = Path.GetFullPath(options.Value.Directory);
        if (System.IO.Directory.Exists(Directory))
        {
            Entries = System.IO.Directory.EnumerateFiles(Directory, "*.onnx")
                .Order(StringComparer.Ordinal)
                .Select(path => new ModelEntry(Path.GetFileNameWithoutExtension(path), path))
                .ToList();
        }
        else
        {
            logger.LogError("The models folder {Directory} does not exist", Directory);
            Entries = [];
        }
        byId = Entries.ToDictionary(e => e.Id, StringComparer.Ordinal);
    }

    public string Directory { get; }

    public IReadOnlyList<ModelEntry> Entries { get; }

    public IEnumerable<ModelEntry> Ready => Entries.Where(e => e.Status == ModelStatus.Ready);

    /// <summary>Completes once every entry is ready or failed.</summary>
    public Task Loaded => loaded.Task;

    public ModelEntry? Find(string id) => byId.GetValueOrDefault(id);

    internal void MarkLoaded() => loaded.TrySetResult();

    public void Dispose()
    {
        foreach (var entry in Entries)
        {
            entry.Model?.Dispose();
        }
    }
}
