using CamService.Cli.Explain;
using CamService.Imaging.Animation;
using CamService.Onnx.CamReady;
using CamService.Testing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.PixelFormats;
using static CamService.Cli.Tests.ExplainFiles;

namespace CamService.Cli.Tests;

/// <summary>camservice explain --gif: one animation per image, drawn as the service draws its frames.</summary>
public sealed class ExplainAnimationTests
{
    [Fact]
    public void Gif_OneAnimationPerImage_AFramePerModelMethodAndTarget_AsTheServiceDrawsThem()
    {
        using var directory = new TemporaryDirectory();
        var photos = TwoPhotos(directory, 96, 64);
        var models = Folder(directory, "models");
        TestModels.WriteCamReady(models, "small", 16);
        TestModels.WriteCamReady(models, "untrained", 32, weights: WeightsKind.Random);
        var output = directory.File("out");

        // Batches of one: each caption's latency is then the summary's inferenceMs.
        var (code, log) = Programs.Cli("explain", photos, "--models", models, "--method", "gradcam,eigencam", "--target", "top1,green",
            "--out", output, "--batch", "1", "--max-size", "48", "--gif", "--gif-size", "48", "--gif-frame-ms", "250");

        Assert.True(code == 0, log);
        var summary = Summary.FromJson(File.ReadAllText(Path.Combine(output, "summary.json")));
        var modelsByName = summary.Models.ToDictionary(m => m.Name);
        foreach (var (image, width, height) in new[] { ("a", 32, 32), ("b", 48, 32) })
        {
            using var gif = Image.Load<Rgb24>(Path.Combine(output, "animations", $"{image}.gif"));
            var frames = summary.Explanations.Where(e => e.Image == image).ToList();
            Assert.Equal(2 * 2 * 2, gif.Frames.Count);
            Assert.Equal(AnimationFrame.Size(width, height, FrameCaption.LineCount), gif.Size());
            Assert.Equal(0, gif.Metadata.GetGifMetadata().RepeatCount);
            // Models outer, then methods, then targets: the service's order, and the summary's for one image.
            Assert.Equal(
                from model in new[] { "small", "untrained" } from method in new[] { "gradcam", "eigencam" } from target in new[] { "top1", "green" }
                select (model, method, target),
                frames.Select(e => (e.Model, e.Method, e.Target)));
            for (var i = 0; i < frames.Count; i++)
            {
                var (e, frame) = (frames[i], gif.Frames[i]);
                Assert.Equal(25, frame.Metadata.GetGifMetadata().FrameDelay);
                var model = modelsByName[e.Model];
                var lines = new FrameCaption(e.Model, e.Untrained, e.Method, e.TargetLabel, e.TargetProbability, model.Parameters, model.GigaMacs,
                    e.Timings.InferenceMs).Lines();
                Assert.Equal(e.Model == "untrained", lines[0].StartsWith("UNTRAINED untrained - ", StringComparison.Ordinal));
                using var caption = new Image<Rgb24>(width, frame.Height - height);
                Caption.Draw(caption, 0, lines, Caption.Scale(width));
                var captionDifference = FrameDifference.Of(caption, frame, 0, height, caption.Width, caption.Height);
                Assert.True(captionDifference.Within(24, 2), $"{e.Model} {e.Method} {e.Target} caption: {captionDifference}");
                // Above it the overlay, as the overlay file draws it at the same size (GIF colours are a shared palette).
                using var overlay = Image.Load<Rgb24>(Path.Combine(output, e.Overlay));
                var overlayDifference = FrameDifference.Of(overlay, frame, 0, 0, width, height);
                Assert.True(overlayDifference.Within(48, 6), $"{e.Model} {e.Method} {e.Target} overlay: {overlayDifference}");
            }
        }
    }
}
