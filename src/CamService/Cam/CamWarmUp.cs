using CamService.Imaging;
using CamService.Inference.Explanations;
using CamService.Inference.Methods;
using CamService.Inference.Runtime;
using CamService.Metrics;
using CamService.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Cam;

/// <summary>
/// Once the models are loaded, explains a synthetic photo with each ready model the way a request does —
/// decode, preprocess, the engine with every one-pass method, a heatmap and overlays as PNG and JPEG — so
/// the first real request does not pay for just-in-time compilation and first-use initialisation (some
/// hundreds of milliseconds). Head-only and many-forwards methods are left out: they add model runs of
/// their own, and a model without a head would fail the warm-up of the others.
/// </summary>
public sealed class CamWarmUp(ModelRegistry registry, CamMethods methods, ImageLoader loader, CamMetrics metrics, CoreScheduler cores, ILogger<CamWarmUp> logger) : BackgroundService
{
    readonly TaskCompletionSource done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the models are loaded and the warm-up has run (or was skipped): readiness waits for it.</summary>
    public Task Done => done.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await WarmUpAsync(stoppingToken);
        }
        finally
        {
            done.TrySetResult();
        }
    }

    async Task WarmUpAsync(CancellationToken stoppingToken)
    {
        await registry.Loaded.WaitAsync(stoppingToken);
        var photo = SyntheticPhoto();
        var onePass = methods.All.Where(m => m.Cost == CostClass.OnePass).ToList();
        try
        {
            await cores.Threads.Run(() =>
            {
                using var image = loader.Load(photo);
                foreach (var entry in registry.Ready)
                {
                    WarmUp(image, entry, onePass, stoppingToken);
                }
            }, stoppingToken);
            logger.LogInformation("Explanation pipeline warmed up on {Count} models", registry.Ready.Count());
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A warm-up is an optimisation: the service serves without it (for example when the
            // configured pixel limit is below the synthetic photo's size).
            logger.LogWarning("Explanation warm-up skipped: {Reason}", e.Message);
        }
    }

    void WarmUp(LoadedImage image, ModelEntry entry, IReadOnlyList<CamMethod> onePass, CancellationToken cancellationToken)
    {
        // Held like a request's: the folder may replace or remove the model meanwhile.
        using var lease = entry.Lease();
        if (lease is null)
        {
            return;
        }
        var model = ExplainableModel.Resolve(entry.Id, lease.Model, ExplanationTarget.TopOneOnly, onePass);
        var spec = new ExplanationSpec(ExplanationTarget.TopOneOnly, onePass, ResizeMode.Crop, TopK: 5, MethodOptions.Default);
        var explained = ModelExplainer.Explain(model, image, spec, underLoad: false, cancellationToken);
        // A run like any other: the run-duration histogram counts it, as its description says.
        metrics.ModelRan(entry.Id, underLoad: false, TimeSpan.FromMilliseconds(explained.InferenceMs));
        // At the photo's size as a PNG, and shrunk as a JPEG: both of a request's drawing paths.
        foreach (var (maxSize, format) in new[] { (0, OverlayFormat.Png), (100, OverlayFormat.Jpeg) })
        {
            var (width, height) = DecodeHint.PictureSize(image.Width, image.Height, maxSize);
            MapPictures.Draw(image, explained.Maps[0].Map, explained.Geometry, width, height, new PictureStyle(Colormap.Jet, 0.5f, format, 85), heatmap: true, overlay: true);
        }
    }

    static byte[] SyntheticPhoto()
    {
        using var image = new Image<Rgb24>(160, 120);
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < row.Length; x++)
                {
                    row[x] = new Rgb24((byte)x, (byte)y, (byte)(x ^ y));
                }
            }
        });
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.ToArray();
    }
}
