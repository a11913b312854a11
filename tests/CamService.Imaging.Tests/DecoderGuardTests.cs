using System.Buffers.Binary;
using System.IO.Compression;
using CamService.Imaging.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;

namespace CamService.Imaging.Tests;

/// <summary>
/// What guards the decoders: libjpeg-turbo is trusted with no size ImageSharp did not identify and check first;
/// a cancelled request stops a decode as a cancellation, not as a bad file; a refused file is described in fixed
/// words, with the decoder's own exception kept only as the inner exception (for the log).
/// </summary>
public sealed class DecoderGuardTests
{
    static readonly ImageLoader Native = new(new ImageLimits());
    static readonly ImageLoader Managed = new(new ImageLimits { NativeJpeg = false });

    [Fact]
    public void NativeDecoder_RefusesAHeaderThatDisagreesWithImageSharps_BeforeDecoding()
    {
        using var source = TestImages.Gradient(64, 48);
        var jpeg = TestImages.Encode(source, new JpegEncoder());

        var error = Assert.Throws<CorruptImageException>(() =>
            NativeJpegDecoder.Decode(jpeg, new Size(32, 48), DecodeHint.FullSize, Configuration.Default, CancellationToken.None));

        Assert.Contains(ImageLoader.HeadersDisagree, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NativeDecoder_StopsBetweenBands_WhenCancelled()
    {
        using var source = TestImages.Gradient(64, 3 * NativeJpegDecoder.BandRows);
        var jpeg = TestImages.Encode(source, new JpegEncoder());

        Assert.ThrowsAny<OperationCanceledException>(() =>
            NativeJpegDecoder.Decode(jpeg, new Size(64, 3 * NativeJpegDecoder.BandRows), DecodeHint.FullSize, Configuration.Default, new CancellationToken(canceled: true)));
    }

    [Fact]
    public void NativeDecoder_DecodesInBands_TheSamePixelsAsAWholeDecode()
    {
        // Rows past the first band, with a height that is not a multiple of it.
        using var source = TestImages.Quadrants(90, 2 * NativeJpegDecoder.BandRows + 7);
        var jpeg = TestImages.Encode(source, new JpegEncoder { Quality = 100 });

        using var native = Native.Load(jpeg);
        using var managed = Managed.Load(jpeg);

        Assert.Equal((managed.Pixels.Width, managed.Pixels.Height), (native.Pixels.Width, native.Pixels.Height));
        foreach (var (x, y) in new[] { (10, 10), (80, 10), (10, 130), (80, 130) })
        {
            Assert.True(TestImages.Distance(managed.Pixels[x, y], native.Pixels[x, y]) <= 8, $"({x}, {y})");
        }
    }

    public static TheoryData<string, bool> Formats => new()
    {
        { "jpeg", true },
        { "jpeg", false },
        { "png", false },
        { "webp", false },
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public void Load_WithACancelledToken_IsCancelled_NotACorruptImage(string format, bool native)
    {
        using var source = TestImages.Gradient(64, 48);
        var bytes = TestImages.Encode(source, format switch
        {
            "jpeg" => new JpegEncoder(),
            "png" => new PngEncoder(),
            _ => (SixLabors.ImageSharp.Formats.IImageEncoder)new WebpEncoder(),
        });

        Assert.ThrowsAny<OperationCanceledException>(() => (native ? Native : Managed).Load(bytes, null, new CancellationToken(canceled: true)));
    }

    [Fact]
    public void CorruptImage_IsDescribedInFixedWords_WithTheDecodersExceptionInside()
    {
        // Whole, checksummed data whose first row names a filter PNG does not have: ImageSharp's own refusal.
        using var source = TestImages.Gradient(120, 80);
        var png = WithRows(TestImages.Encode(source, new PngEncoder()), rows => rows[0] = 9);

        var error = Assert.Throws<CorruptImageException>(() => Managed.Load(png));

        Assert.Equal($"The PNG image cannot be decoded: {ImageLoader.Damaged}", error.Message);
        Assert.NotNull(error.InnerException);
        Assert.DoesNotContain(error.InnerException.Message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(PngInterlaceMode.Adam7)]
    [InlineData(PngInterlaceMode.None)]
    public void PngWhoseDataEndsBeforeItsRows_IsRefused_BeforeImageSharpLoopsOnIt(PngInterlaceMode interlace)
    {
        // ImageSharp 2.1.13 never returns from an interlaced PNG like this one (a whole zlib stream, a valid CRC,
        // 100 bytes of rows short), so it must be refused before it reaches the decoder.
        using var source = TestImages.Gradient(48, 32);
        var png = TestImages.Encode(source, new PngEncoder { ColorType = PngColorType.Grayscale, InterlaceMethod = interlace });
        var broken = WithRows(png, rows => rows.RemoveRange(rows.Count - 100, 100));

        Assert.Equal("its image data ends before its last row", PngDataCheck.Problem(broken));
        var error = Assert.Throws<CorruptImageException>(() => Managed.Load(broken));
        Assert.Equal("png", error.Format);
    }

    /// <summary>The PNG with its inflated rows (filter bytes included) changed, deflated again under a valid checksum.</summary>
    static byte[] WithRows(byte[] png, Action<List<byte>> change)
    {
        var idat = png.AsSpan().IndexOf("IDAT"u8) - 4;
        var length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(idat));
        using var inflated = new MemoryStream();
        using (var inflate = new ZLibStream(new MemoryStream(png, idat + 8, length), CompressionMode.Decompress))
        {
            inflate.CopyTo(inflated);
        }
        var rows = inflated.ToArray().ToList();
        change(rows);
        using var deflated = new MemoryStream();
        using (var deflate = new ZLibStream(deflated, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(rows.ToArray());
        }
        var data = deflated.ToArray();
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(chunk, (uint)data.Length);
        "IDAT"u8.CopyTo(chunk.AsSpan(4));
        data.CopyTo(chunk.AsSpan(8));
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), System.IO.Hashing.Crc32.HashToUInt32(chunk.AsSpan(4, 4 + data.Length)));
        return [.. png.AsSpan(0, idat), .. chunk, .. png.AsSpan(idat + 12 + length)];
    }
}
