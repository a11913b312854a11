using CamService.Imaging;
using CamService.Inference.Explanations;
using CamService.Inference.Faithfulness;
using CamService.Inference.Methods;
using CamService.Inference.Runtime;
using CamService.Testing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Inference.Tests;

/// <summary>The explanation path's library side: the maps' order, batches against single images, and a map's pictures.</summary>
public sealed class ModelExplainerTests : IDisposable
{
    readonly CamReadyModel model = ColourModel.Load(16);
    readonly ImageLoader loader = new(new ImageLimits());

    static ExplanationSpec Spec(FaithfulnessMetrics metrics = FaithfulnessMetrics.None) =>
        new([ExplanationTarget.Parse("red"), ExplanationTarget.Parse("blue"), ExplanationTarget.TopOne], [new GradCam(), new EigenCam()], ResizeMode.Stretch, 3, MethodOptions.Default, metrics, MetricSteps: 4);

    [Fact]
    public void Maps_AreAtTheSpecsMapIndex()
    {
        var spec = Spec();
        var explainable = ExplainableModel.Resolve("colour", model, spec.Targets, spec.Methods);
        using var image = loader.Load(TestImages.RedTopLeftPng(40));

        var explanation = ModelExplainer.Explain(explainable, image, spec, underLoad: false, CancellationToken.None);

        Assert.Equal(spec.MapsPerModel, explanation.Maps.Count);
        for (var m = 0; m < spec.Methods.Count; m++)
        {
            for (var t = 0; t < spec.Targets.Count; t++)
            {
                var map = explanation.Maps[spec.MapIndex(m, t)];
                Assert.Equal(spec.Methods[m].Name, map.Method);
                Assert.Equal(explainable.Targets[t] ?? explanation.Predictions[0].Index, map.Target.Index);
            }
        }
    }

    [Fact]
    public void Batch_GivesWhatEachImageAloneGives_ScoresIncluded()
    {
        var spec = Spec(FaithfulnessMetrics.Drop);
        var explainable = ExplainableModel.Resolve("colour", model, spec.Targets, spec.Methods);
        using var red = loader.Load(TestImages.RedTopLeftPng(40));
        using var noise = loader.Load(TestImages.Png(TestImages.Noise(30, 20)));

        var batch = ModelExplainer.ExplainBatch(explainable, [red, noise], spec);

        foreach (var (image, explained) in new[] { red, noise }.Zip(batch))
        {
            Assert.Null(explained.Failure);
            var alone = ModelExplainer.Explain(explainable, image, spec, underLoad: false, CancellationToken.None);
            var together = explained.Explanation!;
            Assert.Equal(alone.Predictions, together.Predictions);
            Assert.Equal(alone.Maps.Select(m => m.Map.Data), together.Maps.Select(m => m.Map.Data));
            Assert.Equal(alone.Faithfulness!.Select(s => s!.AverageDrop), together.Faithfulness!.Select(s => s!.AverageDrop));
            Assert.All(together.Unscored!, Assert.Null);
        }
    }

    [Fact]
    public void OverlayPixels_AreThePngOverlaysPixels()
    {
        var spec = Spec();
        var explainable = ExplainableModel.Resolve("colour", model, spec.Targets, spec.Methods);
        using var image = loader.Load(TestImages.Png(TestImages.Noise(48, 36)));
        var map = ModelExplainer.Explain(explainable, image, spec, underLoad: false, CancellationToken.None).Maps[0];
        var geometry = TensorPreprocessor.Fill(image, model.Preprocessing, ResizeMode.Stretch, new float[model.ImageLength]);

        var pictures = MapPictures.Draw(image, map.Map, geometry, 32, 24, new PictureStyle(Colormap.Viridis, 0.4f, OverlayFormat.Png, 90), heatmap: true, overlay: true);
        using var pixels = MapPictures.OverlayPixels(image, map.Map, geometry, 32, 24, Colormap.Viridis, 0.4f);

        using var decoded = Image.Load<Rgb24>(pictures.Overlay!);
        Assert.Equal((32, 24), (pixels.Width, pixels.Height));
        for (var y = 0; y < 24; y++)
        {
            for (var x = 0; x < 32; x++)
            {
                Assert.Equal(decoded[x, y], pixels[x, y]);
            }
        }
        Assert.Equal((32, 24), (Image.Identify(pictures.Heatmap!).Width, Image.Identify(pictures.Heatmap!).Height));
    }

    [Fact]
    public void Resolve_GivesEachTargetsClass_AndRefusesAClassTheModelLacks()
    {
        Assert.Equal([0, 2, null], ExplainableModel.Resolve("colour", model, [ExplanationTarget.Parse("red"), ExplanationTarget.Parse("2"), ExplanationTarget.TopOne], [new GradCam()]).Targets);
        Assert.Throws<TargetException>(() => ExplainableModel.Resolve("colour", model, ExplanationTarget.ParseList("9"), [new GradCam()]));
    }

    public void Dispose() => model.Dispose();
}
