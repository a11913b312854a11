using CamService.Cam;
using CamService.Execution;
using CamService.Inference.Runtime;
using CamService.Onnx.Model;
using CamService.Traffic;
using Microsoft.Extensions.Options;

namespace CamService.Models;

/// <summary>
/// Measures each model's thread settings once the service is ready (<see cref="ThreadSelection.Measure"/>), where
/// it loaded on remembered or first-guess ones so as to be ready in seconds: a sweep on a busy machine would take
/// cores from the requests and time their noise, so each model waits for a quiet spell (no explanation in flight
/// for <see cref="QuietSpell"/>). When the measurement chooses other settings, the model's sessions are made
/// again with them, warmed up and swapped in; requests that already hold the earlier model finish on it, and it is
/// disposed after them (<see cref="ModelLease"/>). A measurement takes its turn with the folder's changes
/// (<see cref="ModelFolder"/>), so it never swaps a model into an entry that a new file replaced or removed meanwhile.
/// </summary>
public sealed class ThreadRefinement(
    ModelRegistry registry,
    ModelFolder folder,
    ModelPreparer preparer,
    ThreadSelection threadSelection,
    ExecutionSettings settings,
    CamWarmUp warmUp,
    ShutdownGate gate,
    CoreScheduler cores,
    IOptions<ModelsOptions> models,
    ILogger<ThreadRefinement> logger) : BackgroundService
{
    readonly TaskCompletionSource done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // The models measured or given their deferred session (or tried): what failed is not repeated on every pass.
    readonly System.Runtime.CompilerServices.ConditionalWeakTable<CamReadyModel, object> tried = [];

    /// <summary>How long no explanation must have been in flight before a model is measured.</summary>
    public static readonly TimeSpan QuietSpell = TimeSpan.FromSeconds(1);

    /// <summary>Completes once every model that loaded on remembered or guessed settings has been measured (or failed to be).</summary>
    public Task Done => done.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            if (!threadSelection.MeasuresAfterReady)
            {
                return;
            }
            await warmUp.Done.WaitAsync(stoppingToken);
            await OpenDeferredAsync(stoppingToken);
            await RefineAllAsync(stoppingToken);
        }
        finally
        {
            done.TrySetResult();
        }
        // Models that the folder's changes or the management API bring in later load on guessed or remembered settings too.
        while ((models.Value.WatchFolder || models.Value.Management.Enabled) && !stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromSeconds(Math.Max(models.Value.RescanSeconds, 5)), stoppingToken);
            await OpenDeferredAsync(stoppingToken);
            await RefineAllAsync(stoppingToken);
        }
    }

    /// <summary>
    /// Opens the under-load sessions that loads deferred so as to be ready sooner (<see cref="ServingThreads.OneSession"/>),
    /// in a quiet spell as a measurement is: opening a session takes a core from the requests for a second. Until
    /// then a model runs on its fastest setting under load too, as a guessed one does.
    /// </summary>
    internal async Task OpenDeferredAsync(CancellationToken stoppingToken)
    {
        foreach (var entry in registry.Ready.Where(e => e.Model?.Threads.Deferred is not null).ToList())
        {
            if (!tried.TryAdd(entry.Model!, false))
            {
                continue;
            }
            await AwaitQuietAsync(stoppingToken);
            await folder.InTurnAsync(async () =>
            {
                await cores.Threads.Run(() => Update(entry, "under-load session not opened", _ => entry.Model?.Threads.WithDeferred()), stoppingToken);
                return true;
            }, stoppingToken);
        }
    }

    /// <summary>Measures each served model that loaded on guessed or remembered settings, once per model loaded.</summary>
    async Task RefineAllAsync(CancellationToken stoppingToken)
    {
        foreach (var entry in registry.Ready.Where(e => NeedsMeasuring(e.Model)).ToList())
        {
            if (!tried.TryAdd(entry.Model!, true))
            {
                continue;
            }
            await AwaitQuietAsync(stoppingToken);
            // At compute priority, as loading is: the requests that arrive meanwhile come first.
            await folder.InTurnAsync(async () =>
            {
                await cores.Threads.Run(() => Refine(entry), stoppingToken);
                return true;
            }, stoppingToken);
        }
    }

    static bool NeedsMeasuring(CamReadyModel? model) => model?.Threads.Source is "guessed" or "remembered";

    async Task AwaitQuietAsync(CancellationToken cancellationToken)
    {
        var quietSince = DateTime.UtcNow;
        while (DateTime.UtcNow - quietSince < QuietSpell)
        {
            await Task.Delay(QuietSpell / 10, cancellationToken);
            if (gate.InFlight > 0)
            {
                quietSince = DateTime.UtcNow;
            }
        }
    }

    void Refine(ModelEntry entry) => Update(entry, "thread settings not measured",
        prepared => threadSelection.Measure(entry.Id, prepared.Proto, prepared.Bytes, models.Value.ResolvedCacheDirectory));

    /// <summary>Serves <paramref name="entry"/> on the settings <paramref name="choose"/> gives (none: as it is), opened from its file.</summary>
    void Update(ModelEntry entry, string failure, Func<PreparedModel, ServingThreads?> choose)
    {
        try
        {
            using var prepared = preparer.Open(entry.Path);
            if (choose(prepared) is not { } threads)
            {
                return;
            }
            Apply(entry, threads, () => CamReadyModel.Create(prepared.Proto, settings, threads, Path.GetDirectoryName(entry.Path),
                warning => logger.LogWarning("{Model}: {Warning}", entry.Id, warning), prepared.Bytes));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The model keeps serving on the settings it loaded with.
            logger.LogWarning(e, "{Model}: {Failure}: {Reason}", entry.Id, failure, e.Message);
        }
    }

    /// <summary>
    /// Serves <paramref name="entry"/> on <paramref name="measured"/>: the same sessions when they already have those
    /// settings, else new ones from <paramref name="open"/>, warmed up before they replace the earlier model.
    /// </summary>
    internal void Apply(ModelEntry entry, ServingThreads measured, Func<CamReadyModel> open)
    {
        if (!ReferenceEquals(registry.Find(entry.Id), entry) || entry.Model is not { } current)
        {
            // Removed, or failed on a new file, while it was measured: nothing of it serves any more.
            return;
        }
        if (measured.SameChoices(current.Threads))
        {
            current.Remeasured(measured);
            if (measured.Tuning is { } tuning)
            {
                entry.Retimed(tuning.Fastest.MedianMs);
            }
            return;
        }
        var model = open();
        var latency = ModelLoader.WarmUp(model, models.Value.WarmupRuns);
        entry.MarkReady(model, latency);
        logger.LogInformation("Model {Model} switched from {Before} (under load {BeforeUnderLoad}) to {After} (under load {AfterUnderLoad}) threads ({Source}): {LatencyMs:F1} ms per image",
            entry.Id, current.Threads.Fastest, current.Threads.UnderLoad, measured.Fastest, measured.UnderLoad, measured.Source, latency);
    }
}
