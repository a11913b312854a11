using CamService.Inference.Runtime;
using CamService.Onnx.CamReady;
using CamService.Testing;
using SixLabors.ImageSharp.Processing.Processors.Transforms;

namespace CamService.Inference.Tests;

/// <summary>
/// A loaded model's preprocessing is made once, from its metadata, in the pixel code's terms; under load, the
/// forward passes of methods and metrics run on the run's own session.
/// </summary>
public sealed class CamReadyModelTests
{
    const int Size = 16;

    [Fact]
    public void Preprocessing_IsTheMetadatas_InThePixelCodesTerms()
    {
        var proto = new CamReadyBuilder().Prepare(TestModels.ColourClassifier(Size)).Model;
        CamModelInfo.Set(proto, MetadataKeys.Interpolation, "bicubic");
        CamModelInfo.Set(proto, MetadataKeys.ChannelOrder, "BGR");

        using var model = CamReadyModel.Create(proto, new ExecutionSettings());

        var p = model.Preprocessing;
        Assert.Equal((Size, Size, Size + Size / 4), (p.Height, p.Width, p.ResizeSize));
        Assert.IsType<BicubicResampler>(p.Resampler);
        Assert.True(p.Bgr);
        Assert.False(p.ChannelsLast);
        Assert.Equal([0.5f, 0.5f, 0.5f], p.Mean);
    }

    [Fact]
    public void AModelWhosePreprocessingCannotBeUsed_FailsToLoad_SayingWhy()
    {
        var proto = new CamReadyBuilder().Prepare(TestModels.ColourClassifier(Size)).Model;
        CamModelInfo.Set(proto, MetadataKeys.Std, "0.5,0,0.5");

        var error = Assert.Throws<CamReadyException>(() => CamReadyModel.Create(proto, new ExecutionSettings()));

        Assert.Contains("Std", error.Message);
    }

    [Fact]
    public void Serving_UnderLoad_ForwardsOnTheUnderLoadSession_WithTheSameLogits()
    {
        var proto = new CamReadyBuilder().Prepare(TestModels.ColourClassifier(Size)).Model;
        var threads = new ServingThreads(new ThreadChoice(2, false), new ThreadChoice(1, false), "test");
        using var model = CamReadyModel.Create(proto, new ExecutionSettings(), threads);
        using var alone = CamReadyModel.Create(proto, new ExecutionSettings(), new ServingThreads(new ThreadChoice(1, false), new ThreadChoice(1, false), "test"));

        Assert.Same(model, model.Serving(underLoad: false));
        Assert.Same(alone, alone.Serving(underLoad: true)); // one session only: nothing else to run on
        var view = model.Serving(underLoad: true);
        Assert.NotSame(model, view);
        Assert.Equal(((Methods.ICamModel)model).ImageShape, view.ImageShape);
        Assert.Equal(model.NumClasses, view.Classes);

        var random = new Random(1);
        var images = Enumerable.Range(0, 3 * model.ImageLength).Select(_ => (float)random.NextDouble()).ToArray();
        var expected = new float[3 * model.NumClasses];
        var actual = new float[3 * model.NumClasses];
        model.Forward(images, 3, expected, CancellationToken.None);
        view.Forward(images, 3, actual, CancellationToken.None);
        Assert.Equal(expected, actual);
    }
}
