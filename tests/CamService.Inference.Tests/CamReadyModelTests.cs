using CamService.Inference.Runtime;
using CamService.Onnx.CamReady;
using CamService.Testing;
using SixLabors.ImageSharp.Processing.Processors.Transforms;

namespace CamService.Inference.Tests;

/// <summary>A loaded model's preprocessing is made once, from its metadata, in the pixel code's terms.</summary>
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
}
