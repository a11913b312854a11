using CamService.Onnx.CamReady;
using Onnx;

namespace CamService.Onnx.Tests.CamReady;

/// <summary>The metadata is read and written in one place: <see cref="CamModelInfo"/>.</summary>
public sealed class CamModelInfoTests
{
    [Fact]
    public void ClassesShapeParametersAndMacs_SurviveAWriteAndARead()
    {
        var model = new ModelProto();
        var written = new CamModelInfo { NumClasses = 1000, ActivationShape = [2048, 7, 7], Parameters = 25557032, GigaMacs = 4.0895 };

        written.WriteTo(model);
        var read = CamModelInfo.Read(model);

        Assert.Equal(1000, read.NumClasses);
        Assert.Equal([2048, 7, 7], read.ActivationShape!);
        Assert.Equal(25557032, read.Parameters);
        Assert.Equal(4.09, read.GigaMacs!.Value, 2);
        Assert.Equal("2048,7,7", Metadata(model)[MetadataKeys.ActivationShape]);
    }

    [Fact]
    public void AModelWithoutThem_ReadsAsUnknown()
    {
        var info = CamModelInfo.Read(new Dictionary<string, string>());

        Assert.Null(info.NumClasses);
        Assert.Null(info.ActivationShape);
        Assert.Null(info.Parameters);
        Assert.Null(info.GigaMacs);
    }

    [Theory]
    [InlineData(MetadataKeys.NumClasses, "many")]
    [InlineData(MetadataKeys.ActivationShape, "2048,7")]
    [InlineData(MetadataKeys.ActivationShape, "2048,seven,7")]
    [InlineData(MetadataKeys.Parameters, "25.5M")]
    public void AValueThatIsNotANumber_IsRefusedWithItsKey(string key, string value)
    {
        var error = Assert.Throws<FormatException>(() => CamModelInfo.Read(new Dictionary<string, string> { [key] = value }));

        Assert.Contains(key, error.Message);
    }

    [Fact]
    public void MultiplyAccumulates_AreReadUnderTheirOldName_AndWrittenUnderTheNewOneOnly()
    {
        // Files prepared before the rename say cam.gflops for the same count.
        var model = new ModelProto();
        model.MetadataProps.Add(new StringStringEntryProto { Key = MetadataKeys.LegacyGigaFlops, Value = "4.089" });

        var info = CamModelInfo.Read(model);
        info.WriteTo(model);

        Assert.Equal(4.089, info.GigaMacs);
        Assert.Equal("4.089", Metadata(model)[MetadataKeys.GigaMacs]);
        Assert.DoesNotContain(MetadataKeys.LegacyGigaFlops, Metadata(model).Keys);
    }

    [Fact]
    public void LayoutChannelOrderAndInterpolation_AreParsedOnce_InAnyCase_AndWrittenInTheirMetadataSpelling()
    {
        var info = CamModelInfo.Read(new Dictionary<string, string>
        {
            [MetadataKeys.InputSize] = "224,224",
            [MetadataKeys.Layout] = "nhwc",
            [MetadataKeys.ChannelOrder] = "bgr",
            [MetadataKeys.Interpolation] = "BICUBIC",
            [MetadataKeys.TargetLayout] = "NHWC",
        });
        var model = new ModelProto();
        info.WriteTo(model);

        var p = info.Preprocessing!;
        Assert.Equal((TensorLayout.Nhwc, ChannelOrder.Bgr, Interpolation.Bicubic, TensorLayout.Nhwc), (p.Layout, p.ChannelOrder, p.Interpolation, info.TargetLayout));
        var metadata = Metadata(model);
        Assert.Equal(("NHWC", "BGR", "bicubic", "NHWC"),
            (metadata[MetadataKeys.Layout], metadata[MetadataKeys.ChannelOrder], metadata[MetadataKeys.Interpolation], metadata[MetadataKeys.TargetLayout]));
    }

    [Theory]
    [InlineData(MetadataKeys.Layout, "CHW", "NCHW or NHWC")]
    [InlineData(MetadataKeys.ChannelOrder, "RGBA", "RGB or BGR")]
    [InlineData(MetadataKeys.Interpolation, "lanczos", "bilinear or bicubic")]
    [InlineData(MetadataKeys.Interpolation, "1", "bilinear or bicubic")]
    [InlineData(MetadataKeys.TargetLayout, "NCWH", "NCHW or NHWC or TOKENS")]
    public void AnUnknownName_IsRefusedWhenTheMetadataIsRead_SayingWhatItMayBe(string key, string value, string names)
    {
        var error = Assert.Throws<FormatException>(() => CamModelInfo.Read(new Dictionary<string, string> { [MetadataKeys.InputSize] = "224,224", [key] = value }));

        Assert.Equal($"{key} is '{value}', which is not {names}.", error.Message);
    }

    static Dictionary<string, string> Metadata(ModelProto model) => model.MetadataProps.ToDictionary(p => p.Key, p => p.Value);
}
