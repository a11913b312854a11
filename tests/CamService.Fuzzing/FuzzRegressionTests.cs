using SixLabors.ImageSharp;

namespace CamService.Fuzzing;

/// <summary>
/// The campaign's findings, each regenerated from its seed and number (the mutator is deterministic), so the files
/// need not be stored: each must now be refused as a corrupt image.
/// </summary>
public sealed class FuzzRegressionTests(FuzzFixture fixture) : IClassFixture<FuzzFixture>
{
    [Fact]
    public void InterlacedPngWithShortData_IsRefused_InsteadOfHangingImageSharp()
    {
        // 308 bytes: an Adam7 grayscale PNG whose IDAT inflates to 1 402 of the 1 596 bytes its rows need, CRC repaired.
        var target = fixture.Target("png");
        var input = target.Input(seed: 20, index: 158);

        Assert.Equal(308, input.Length);
        Assert.Equal("422", target.Run(input).Label);
    }

    [Fact]
    public void WebpDeclaringA2GBChunk_IsRefused_InsteadOfOutOfMemory()
    {
        var target = fixture.Target("webp");
        var input = target.Input(seed: 20, index: 1911);

        // The input still reaches ImageSharp 2.1.13's bug: it asks for an array of the chunk's declared size.
        Assert.Throws<OutOfMemoryException>(() => Image.Identify(input));
        Assert.Equal("422", target.Run(input).Label);
    }

    [Fact]
    public void PngWhoseZlibStreamInflateRefuses_IsRefused()
    {
        // The PNG data check's own inflate threw zlib's IOException rather than InvalidDataException on this one.
        var target = fixture.Target("png");

        Assert.Equal("422", target.Run(target.Input(seed: 20, index: 13031)).Label);
    }
}
