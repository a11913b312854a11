using Microsoft.Extensions.Options;

namespace CamService.Models;

/// <summary>
/// The models of the models folder, one <see cref="ModelEntry"/> per *.onnx file, by id. The files found at
/// start-up are entries from the start, and <see cref="ModelLoader"/> makes them ready (or failed) in the
/// background; later, <see cref="ModelFolder"/> adds the files that appear and removes those that go. Readers get
/// a snapshot: a list taken once never changes under them.
/// </summary>
public sealed class ModelRegistry : IDisposable
{
    readonly Lock changes = new();
    readonly TaskCompletionSource loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    volatile Snapshot current;

    public ModelRegistry(IOptions<ModelsOptions> options, ILogger<ModelRegistry> logger)
    {
        Directory = Path.GetFullPath(options.Value.Directory);
        if (System.IO.Directory.Exists(Directory))
        {
            current = new Snapshot(ModelFolder.Files(Directory)
                .Select(file => new ModelEntry(file.Id, file.Path, file.Stamp))
                .ToList());
        }
        else
        {
            logger.LogError("The models folder {Directory} does not exist", Directory);
            current = new Snapshot([]);
        }
    }

    public string Directory { get; }

    /// <summary>Every model now offered, in the order of their ids.</summary>
    public IReadOnlyList<ModelEntry> Entries => current.Entries;

    public IEnumerable<ModelEntry> Ready => Entries.Where(e => e.Status == ModelStatus.Ready);

    /// <summary>Completes once every entry found at start-up is ready or failed.</summary>
    public Task Loaded => loaded.Task;

    public ModelEntry? Find(string id) => current.ById.GetValueOrDefault(id);

    internal void MarkLoaded() => loaded.TrySetResult();

    /// <summary>Offers <paramref name="entry"/> from now on, in place of any entry of the same id (which is retired).</summary>
    internal void Add(ModelEntry entry)
    {
        ModelEntry? replaced;
        lock (changes)
        {
            replaced = Find(entry.Id);
            current = new Snapshot(Entries.Where(e => e.Id != entry.Id).Append(entry).ToList());
        }
        replaced?.Retire();
    }

    /// <summary>Stops offering <paramref name="entry"/>; its model is disposed once the requests on it finish.</summary>
    internal void Remove(ModelEntry entry)
    {
        lock (changes)
        {
            current = new Snapshot(Entries.Where(e => e != entry).ToList());
        }
        entry.Retire();
    }

    public void Dispose()
    {
        foreach (var entry in Entries)
        {
            entry.Retire();
        }
    }

    sealed class Snapshot
    {
        public Snapshot(IEnumerable<ModelEntry> entries)
        {
            Entries = entries.OrderBy(e => e.Id, StringComparer.Ordinal).ToList();
            ById = Entries.ToDictionary(e => e.Id, StringComparer.Ordinal);
        }

        public IReadOnlyList<ModelEntry> Entries { get; }

        public IReadOnlyDictionary<string, ModelEntry> ById { get; }
    }
}
