using CamService.Imaging;
using CamService.Inference.Explanations;
using CamService.Inference.Runtime;
using CamService.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Cam;

/// <summary>
/// Once the models are loaded, runs one whole explanation per ready model on a synthetic photo —
/// decode, preprocess, inference, map and both PNGs — so the first real request does not pay for
/// just-in-time compilation and first-use initialisation (some hundreds of milliseconds).
/// </summary>
public sealed class CamWarmUp(ModelRegistry registry, CamExplainer explainer, ImageLoader loader, ILogger<CamWarmUp> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await registry.Loaded.WaitAsync(stoppingToken);
        var photo = SyntheticPhoto();
        var request = new CamRequest(photo, null, ExplanationTarget.TopOne, 5, Colormap.Jet, 0.5f, ResizeMode.Crop, "gradcam");
        try
        {
            await ComputeThreads.Run(() =>
            {
                using var image = loader.Load(photo);
                foreach (var entry in registry.Ready)
                {
                    var explanation = explainer.Infer(image, entry, request, underLoad: false, stoppingToken);
                    CamExplainer.Render(image, explanation, request, CamExplainer.RenderedSize(image.Width, image.Height, 0), 85);
                    CamExplainer.Render(image, explanation, request with { Format = OverlayFormat.Jpeg }, CamExplainer.RenderedSize(image.Width, image.Height, 100), 85);
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
