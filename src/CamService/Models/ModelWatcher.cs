using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace CamService.Models;

/// <summary>
/// Rescans the models folder (<see cref="ModelFolder"/>) once the models found at start-up are loaded: when a
/// file watcher reports a change, every Models:RescanSeconds whatever it reports (watchers miss events on network
/// volumes and overlay file systems, and a folder may hold more watches than the system allows), and
/// Models:SettleMilliseconds after a rescan that found a file still changing. A burst of events (a copy writes
/// many times) makes one rescan: events that arrive while it settles are folded into it.
/// </summary>
public sealed class ModelWatcher(ModelRegistry registry, ModelFolder folder, IOptions<ModelsOptions> options, ILogger<ModelWatcher> logger) : BackgroundService
{
    readonly Channel<bool> signals = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Asks for a rescan now (after the settling time), as a file watcher's event does.</summary>
    public void Signal() => signals.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.WatchFolder)
        {
            return;
        }
        await registry.Loaded.WaitAsync(stoppingToken);
        using var watcher = Watch(registry.Directory);
        var settle = TimeSpan.FromMilliseconds(settings.SettleMilliseconds);
        var unsettled = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            await NextAsync(unsettled ? settle : TimeSpan.FromSeconds(settings.RescanSeconds), settle, stoppingToken);
            try
            {
                unsettled = (await folder.RescanAsync(stoppingToken)).Unsettled;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A folder that cannot be read now (a volume remounting) is read at the next rescan; the service serves on.
                logger.LogWarning(e, "Could not rescan the models folder {Directory}", registry.Directory);
            }
        }
    }

    /// <summary>Waits for a signal (then lets the burst settle) or for <paramref name="fallback"/> (never, when zero).</summary>
    async Task NextAsync(TimeSpan fallback, TimeSpan settle, CancellationToken stoppingToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        if (fallback > TimeSpan.Zero)
        {
            wait.CancelAfter(fallback);
        }
        try
        {
            await signals.Reader.ReadAsync(wait.Token);
            await Task.Delay(settle, stoppingToken);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // The periodic rescan.
        }
        signals.Reader.TryRead(out _);
    }

    /// <summary>A watcher of the folder's *.onnx files, or none where the system refuses one (the periodic rescan still runs).</summary>
    FileSystemWatcher? Watch(string directory)
    {
        try
        {
            var watcher = new FileSystemWatcher(directory, "*.onnx")
            {
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size,
            };
            watcher.Created += (_, _) => Signal();
            watcher.Changed += (_, _) => Signal();
            watcher.Deleted += (_, _) => Signal();
            watcher.Renamed += (_, _) => Signal();
            watcher.Error += (_, e) => logger.LogWarning(e.GetException(), "The models folder's watcher failed; the periodic rescan goes on");
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException)
        {
            logger.LogWarning("Not watching the models folder {Directory} ({Reason}); it is rescanned every {Seconds} s", directory, e.Message, options.Value.RescanSeconds);
            return null;
        }
    }
}
