using System.Diagnostics;
using CamService.Execution;
using CamService.Inference.Runtime;
using CamService.Onnx.Model;
using Microsoft.Extensions.Options;

namespace CamService.Models;

/// <summary>
/// Loads every model of the registry in the background after start-up: makes it CAM-ready if it
/// is not, chooses its thread settings (remembered or guessed: <see cref="ThreadRefinement"/> measures them
/// once the service is ready, and opens the under-load session a load defers), opens its
/// session, warms it up and measures its latency. A model that fails, for any
/// reason, is marked failed with that reason (and logged); the others still serve.
/// </summary>
public sealed class ModelLoader(
    ModelRegistry registry,
    ModelPreparer preparer,
    ExecutionSettings settings,
    ThreadSelection threadSelection,
    CoreScheduler cores,
    IOptions<ModelsOptions> options,
    ILogger<ModelLoader> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        if (registry.Entries.Count == 0)
        {
            logger.LogError("No *.onnx models were found in {Directory}", registry.Directory);
        }
        // Two at a time, the largest first: opening a session is mostly ONNX Runtime's graph optimisation, on one
        // thread, so two loads overlap; their timed warm-ups overlap too, and the measurement after readiness retimes them.
        var largestFirst = registry.Entries.OrderByDescending(e => FileStamp.Of(e.Path)?.Length ?? 0);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = 2, CancellationToken = stoppingToken };
        try
        {
            // At compute priority: a model's own ONNX Runtime pool (without the shared one) is
            // created here and inherits it, and loading must not slow the requests being served.
            await Parallel.ForEachAsync(largestFirst, parallel, async (entry, token) => await cores.Threads.Run(() => Load(entry), token));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        registry.MarkLoaded();
    }

    /// <summary>Loads one entry as at start-up, on compute threads (a file that appeared or changed while serving: <see cref="ModelFolder"/>).</summary>
    internal Task LoadAsync(ModelEntry entry, CancellationToken cancellationToken) => cores.Threads.Run(() => Load(entry), cancellationToken);

    void Load(ModelEntry entry)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            using var prepared = preparer.Open(entry.Path);
            var (proto, bytes) = (prepared.Proto, prepared.Bytes);
            var threads = threadSelection.Choose(entry.Id, bytes, options.Value.ResolvedCacheDirectory);
            // One session until ready: the under-load one, where it differs, opens after readiness (ThreadRefinement).
            threads = threadSelection.MeasuresAfterReady ? threads.OneSession() : threads;
            var model = CamReadyModel.Create(proto, settings, threads, Path.GetDirectoryName(entry.Path),
                warning => logger.LogWarning("{Model}: {Warning}", entry.Id, warning), bytes);
            var latency = WarmUp(model, options.Value.WarmupRuns);
            entry.MarkReady(model, latency);
            logger.LogInformation("Model {Model} ready on {Device} in {Seconds:F1} s: {Family}, {Weights} weights, {LatencyMs:F1} ms per image on {Threads} ({Source}; under load {UnderLoad})",
                entry.Id, model.Device, clock.Elapsed.TotalSeconds, model.Info.Family ?? "unknown family",
                model.Info.Weights.ToString().ToLowerInvariant(), latency, threads.Fastest, threads.Source, threads.UnderLoad);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            entry.MarkFailed(ModelFailure.Describe(e));
            logger.LogError(e, "Model {Model} failed to load from {Path}: {Reason}", entry.Id, entry.Path, e.Message);
        }
    }

    /// <summary>
    /// Runs one image with one target: twice on each session to let ONNX Runtime allocate and settle,
    /// then <paramref name="runs"/> times measured on the fastest; returns the median in milliseconds.
    /// </summary>
    internal static double WarmUp(CamReadyModel model, int runs)
    {
        var p = model.Preprocessing;
        var images = new float[3 * p.Height * p.Width];
        var targets = new long[] { -1 };
        for (var i = 0; i < 4; i++)
        {
            using var outputs = model.Run(images, 1, targets, 1, underLoad: i % 2 == 1);
        }
        var times = new double[runs];
        for (var i = 0; i < runs; i++)
        {
            var clock = Stopwatch.StartNew();
            using var outputs = model.Run(images, 1, targets, 1);
            times[i] = clock.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return times[runs / 2];
    }
}
