using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Imaging.Tests;

public sealed class PngWriterTests
{
    [Theory]
    [InlineData(1, 1, 3)]
    [InlineData(37, 5, 3)]
    [InlineData(64, 48, 4)]
    [InlineData(3, 200, 4)]
    public void Png_DecodesToTheSamePixels(int width, int height, int channels)
    {
        var random = new Random(width * 31 + height);
        var pixels = new byte[width * height * channels];
        random.NextBytes(pixels);

        using var writer = new PngWriter(width, height, channels);
        for (var y = 0; y < height; y++)
        {
            writer.WriteRow(pixels.AsSpan(y * width * channels, width * channels));
        }
        using var decoded = Image.Load<Rgba32>(writer.ToArray());

        Assert.Equal((width, height), (decoded.Width, decoded.Height));
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = (y * width + x) * channels;
                var expected = new Rgba32(pixels[i], pixels[i + 1], pixels[i + 2], channels == 4 ? pixels[i + 3] : byte.MaxValue);
                Assert.Equal(expected, decoded[x, y]);
            }
        }
    }

    /// <summary>Unfiltered (any palette) and Sub-filtered (an ordered one, such as a colormap's): both decode exactly.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void IndexedPng_DecodesToThePaletteColours_WithTransparency(bool ordered)
    {
        Rgb24[] colours = [new(255, 0, 0), new(0, 255, 0), new(0, 0, 255), new(9, 9, 9)];
        byte[] alphas = [255, 255, 255, 0];
        var (width, height) = (23, 7);
        var indices = new byte[width * height];
        for (var i = 0; i < indices.Length; i++)
        {
            indices[i] = (byte)(i * 7 % colours.Length);
        }

        using var writer = PngWriter.Indexed(width, height, colours, alphas, ordered);
        for (var y = 0; y < height; y++)
        {
            writer.WriteRow(indices.AsSpan(y * width, width));
        }
        using var decoded = Image.Load<Rgba32>(writer.ToArray());

        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var index = indices[y * width + x];
                var pixel = decoded[x, y];
                Assert.Equal(alphas[index], pixel.A);
                if (alphas[index] > 0)
                {
                    Assert.Equal(colours[index], pixel.Rgb);
                }
            }
        }
    }

    [Fact]
    public void Palette_HasOneToTwoHundredFiftySixColours()
    {
        Assert.Throws<ArgumentException>(() => PngWriter.Indexed(2, 2, [], []));
        Assert.Throws<ArgumentException>(() => PngWriter.Indexed(2, 2, new Rgb24[257], []));
        Assert.Throws<ArgumentException>(() => PngWriter.Indexed(2, 2, new Rgb24[2], new byte[3]));
    }

    [Fact]
    public void WrongRowLength_Throws()
    {
        using var writer = new PngWriter(4, 2, 3);
        Assert.Throws<ArgumentException>(() => writer.WriteRow(new byte[11]));
    }

    [Fact]
    public void TooFewOrTooManyRows_Throw()
    {
        using var writer = new PngWriter(2, 2, 4);
        writer.WriteRow(new byte[8]);
        Assert.Throws<InvalidOperationException>(() => writer.ToArray());
        writer.WriteRow(new byte[8]);
        Assert.Throws<InvalidOperationException>(() => writer.WriteRow(new byte[8]));
        Assert.NotEmpty(writer.ToArray());
    }

    [Theory]
    [InlineData(0, 1, 3)]
    [InlineData(1, 0, 3)]
    [InlineData(1, 1, 2)]
    public void BadShape_Throws(int width, int height, int channels) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new PngWriter(width, height, channels));
}
