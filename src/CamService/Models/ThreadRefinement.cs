using CamService.Cam;
using CamService.Execution;
using CamService.Inference.Runtime;
using CamService.Traffic;
using Google.Protobuf;
using Microsoft.Extensions.Options;

namespace CamService.Models;

/// <summary>
/// Measures each model's thread settings once the service is ready (<see cref="ThreadSelection.Measure"/>), where
/// it loaded on remembered or first-guess ones so as to be ready in seconds: a sweep on a busy machine would take
/// cores from the requests and time their noise, so each model waits for a quiet spell (no explanation in flight
/// for <see cref="QuietSpell"/>). When the measurement chooses other settings, the model's sessions are made
/// again with them, warmed up and swapped in; requests that already hold the earlier model finish on it, and its
/// sessions are released once nothing holds it (by their finalisers: the model is never disposed under a request).
/// </summary>
public sealed class ThreadRefinement(
    ModelRegistry registry,
    ModelPreparer preparer,
    ThreadSelection threadSelection,
    ExecutionSettings settings,
    CamWarmUp warmUp,
    ShutdownGate gate,
    CoreScheduler cores,
    IOptions<InferenceOptions> inference,
    IOptions<ModelsOptions> models,
    ILogger<ThreadRefinement> logger) : BackgroundService
{
    readonly TaskCompletionSource done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How long no explanation must have been in flight before a model is measured.</summary>
    public static readonly TimeSpan QuietSpell = TimeSpan.FromSeconds(1);

    /// <summary>Completes once every model that loaded on remembered or guessed settings has been measured (or failed to be).</summary>
    public Task Done => done.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            if (!inference.Value.MeasureThreads || threadSelection.IsConfigured)
            {
                return;
            }
            await warmUp.Done.WaitAsync(stoppingToken);
            foreach (var entry in registry.Ready.Where(e => NeedsMeasuring(e.Model)).ToList())
            {
                await AwaitQuietAsync(stoppingToken);
                // At compute priority, as loading is: the requests that arrive meanwhile come first.
                await cores.Threads.Run(() => Refine(entry), stoppingToken);
            }
        }
        finally
        {
            done.TrySetResult();
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

    void Refine(ModelEntry entry)
    {
        try
        {
            var proto = preparer.Resolve(entry.Path);
            var bytes = proto.ToByteArray();
            var measured = threadSelection.Measure(entry.Id, proto, bytes, models.Value.ResolvedCacheDirectory);
            Apply(entry, measured, () => CamReadyModel.Create(proto, settings, measured, Path.GetDirectoryName(entry.Path),
                warning => logger.LogWarning("{Model}: {Warning}", entry.Id, warning), bytes));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The model keeps serving on the settings it loaded with.
            logger.LogWarning(e, "{Model}: thread settings not measured: {Reason}", entry.Id, e.Message);
        }
    }

    /// <summary>
    /// Serves <paramref name="entry"/> on <paramref name="measured"/>: the same sessions when they already have those
    /// settings, else new ones from <paramref name="open"/>, warmed up before they replace the earlier model.
    /// </summary>
    internal void Apply(ModelEntry entry, ServingThreads measured, Func<CamReadyModel> open)
    {
        var current = entry.Model ?? throw new InvalidOperationException($"{entry.Id} is not ready.");
        if (measured.SameChoices(current.Threads))
        {
            current.Remeasured(measured);
            return;
        }
        var model = open();
        var latency = ModelLoader.WarmUp(model, models.Value.WarmupRuns);
        entry.MarkReady(model, latency);
        logger.LogInformation("Model {Model} switched from {Before} to {After} threads ({Source}): {LatencyMs:F1} ms per image",
            entry.Id, current.Threads.Fastest, measured.Fastest, measured.Source, latency);
    }
}
