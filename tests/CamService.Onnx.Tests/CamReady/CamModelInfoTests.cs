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

    static Dictionary<string, string> Metadata(ModelProto model) => model.MetadataProps.ToDictionary(p => p.Key, p => p.Value);
}
