using System.Buffers.Binary;
using System.Text;
using CamService.Imaging.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Imaging.Tests;

public sealed class ImageLoaderTests
{
    static readonly ImageLoader Loader = new(new ImageLimits());

    [Theory]
    [InlineData("png")]
    [InlineData("jpeg")]
    [InlineData("webp")]
    public void Load_DecodesEachAcceptedFormatToRgb(string format)
    {
        using var source = TestImages.Quadrants(96, 64);
        var bytes = TestImages.Encode(source, format switch
        {
            "png" => new PngEncoder(),
            "jpeg" => new JpegEncoder { Quality = 95 },
            _ => new WebpEncoder { FileFormat = WebpFileFormatType.Lossless },
        });

        using var loaded = Loader.Load(bytes);

        Assert.Equal(format, loaded.Format);
        Assert.Equal((96, 64), (loaded.Width, loaded.Height));
        Assert.Equal((96, 64), (loaded.Pixels.Width, loaded.Pixels.Height));
        Assert.Null(loaded.ExifOrientation);
        Assert.True(TestImages.Distance(TestImages.Yellow, loaded.Pixels[72, 48]) <= 12, $"{loaded.Pixels[72, 48]}");
    }

    [Fact]
    public void Load_ReadsStreamsThatCannotSeek_AndMemoryThatDoesNotStartAtZero()
    {
        using var source = TestImages.Quadrants(32, 16);
        var png = TestImages.Encode(source, new PngEncoder());
        var padded = new byte[png.Length + 10];
        png.CopyTo(padded, 7);

        using var fromStream = Loader.Load(new ForwardOnlyStream(png));
        using var fromSlice = Loader.Load(padded.AsMemory(7, png.Length));
        using var positioned = new MemoryStream(padded) { Position = 7 };
        using var fromPositioned = Loader.Load(positioned);
        using var written = new MemoryStream(); // a buffer the loader may read in place
        written.Write(padded);
        written.Position = 7;
        using var fromWritten = Loader.Load(written);

        foreach (var loaded in new[] { fromStream, fromSlice, fromPositioned, fromWritten })
        {
            Assert.Equal((32, 16), (loaded.Width, loaded.Height));
            Assert.Equal(TestImages.Green, loaded.Pixels[24, 4]);
        }
    }

    [Fact]
    public void Constructor_ChecksTheLimits_AndAnyPoolSizeWorks()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageLoader(new ImageLimits { MaxPixels = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageLoader(new ImageLimits { MaxPoolMegabytes = -1 }));
        using var source = TestImages.Gradient(64, 48);
        var unpooled = new ImageLoader(new ImageLimits { MaxPoolMegabytes = 0, MaxPixels = 5000 });

        using var loaded = unpooled.Load(TestImages.Encode(source, new JpegEncoder()));

        Assert.Equal(64, loaded.Width);
        using var larger = TestImages.Gradient(100, 60);
        Assert.Throws<ImageTooLargeException>(() => unpooled.Load(TestImages.Encode(larger, new JpegEncoder())));
    }

    [Fact]
    public void Load_IsSafeToShareAcrossThreads()
    {
        using var source = TestImages.Gradient(64, 48);
        var jpeg = TestImages.Encode(source, new JpegEncoder { Quality = 90 });
        using var reference = Loader.Load(jpeg);
        var expected = reference.Pixels[40, 30];

        Parallel.For(0, 32, _ =>
        {
            using var loaded = Loader.Load(jpeg);
            Assert.Equal(expected, loaded.Pixels[40, 30]);
        });
    }

    public static TheoryData<string, string> UnsupportedFiles() => new()
    {
        { "gif", "GIF image" },
        { "bmp", "BMP image" },
        { "tiff", "TIFF image" },
        { "text", "text" },
        { "empty", "an empty body" },
    };

    [Theory]
    [MemberData(nameof(UnsupportedFiles))]
    public void Load_RefusesOtherFormats_NamingWhatItGotAndWhatIsAccepted(string kind, string described)
    {
        using var source = TestImages.Quadrants(16, 16);
        var bytes = kind switch
        {
            "gif" => TestImages.Encode(source, new GifEncoder()),
            "bmp" => TestImages.Encode(source, new BmpEncoder()),
            "tiff" => TestImages.Encode(source, new TiffEncoder()),
            "text" => Encoding.UTF8.GetBytes("name,score\ncat,0.9\n"),
            _ => [],
        };

        var error = Assert.Throws<UnsupportedImageException>(() => Loader.Load(bytes));

        Assert.Equal(described, error.Detected);
        Assert.Contains(described, error.Message, StringComparison.Ordinal);
        Assert.Contains("JPEG, PNG or WebP", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_RefusesAHeaderThatDeclaresTooManyPixels_WithoutDecoding()
    {
        // A valid PNG signature, IHDR and IEND, but no pixel data at all: decoding would fail (no IDAT),
        // so getting ImageTooLarge proves the limit was checked from the header alone.
        var png = HeaderOnlyPng(100_000, 50_000);

        var error = Assert.Throws<ImageTooLargeException>(() => Loader.Load(png));

        Assert.Equal((100_000, 50_000, 40_000_000L), (error.Width, error.Height, error.Limit));
        Assert.Contains("100000×50000", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("png")]
    [InlineData("jpeg")]
    [InlineData("webp")]
    public void Load_AppliesTheConfiguredPixelLimit(string format)
    {
        using var source = TestImages.Gradient(40, 30);
        var bytes = TestImages.Encode(source, format switch
        {
            "png" => new PngEncoder(),
            "jpeg" => new JpegEncoder(),
            _ => new WebpEncoder(),
        });
        var strict = new ImageLoader(new ImageLimits { MaxPixels = 40 * 30 - 1 });

        var error = Assert.Throws<ImageTooLargeException>(() => strict.Load(bytes));

        Assert.Equal((40, 30, 1199L), (error.Width, error.Height, error.Limit));
        using var atTheLimit = new ImageLoader(new ImageLimits { MaxPixels = 40 * 30 }).Load(bytes);
        Assert.Equal(40, atTheLimit.Width);
    }

    [Fact]
    public void Load_RefusesATruncatedJpeg()
    {
        using var source = TestImages.Gradient(120, 80);
        var jpeg = TestImages.Encode(source, new JpegEncoder { Quality = 90 });

        var error = Assert.Throws<CorruptImageException>(() => Loader.Load(jpeg.AsMemory(0, jpeg.Length * 2 / 3)));

        Assert.Equal("jpeg", error.Format);
        Assert.Contains("ends", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_RefusesAJpegWhoseHeaderIsCutShort()
    {
        using var source = TestImages.Gradient(120, 80);
        var jpeg = TestImages.Encode(source, new JpegEncoder { Quality = 90 });

        Assert.Throws<CorruptImageException>(() => Loader.Load(jpeg.AsMemory(0, 100)));
    }

    [Fact]
    public void Load_RefusesAPngWithACorruptBody()
    {
        using var source = TestImages.Gradient(120, 80);
        var png = TestImages.Encode(source, new PngEncoder());
        var (idat, length) = FindChunk(png, "IDAT");
        for (var i = idat + 8 + length / 3; i < idat + 8 + length / 3 + 40; i++)
        {
            png[i] ^= 0x5A;
        }

        var error = Assert.Throws<CorruptImageException>(() => Loader.Load(png));

        Assert.Equal("png", error.Format);
    }

    [Fact]
    public void Load_RefusesAPngWhoseCompressedDataIsGarbage_EvenWithAValidChecksum()
    {
        using var source = TestImages.Gradient(120, 80);
        var png = TestImages.Encode(source, new PngEncoder());
        var (idat, length) = FindChunk(png, "IDAT");
        png[idat + 8] = 0x12; // not a zlib header
        png[idat + 9] = 0x34;
        var crc = Crc32(png.AsSpan(idat + 4, 4 + length));
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(idat + 8 + length), crc);

        Assert.Throws<CorruptImageException>(() => Loader.Load(png));
    }

    [Theory]
    [InlineData("png")]
    [InlineData("webp")]
    public void Load_RefusesTruncatedPngAndWebp(string format)
    {
        using var source = TestImages.Gradient(120, 80);
        var bytes = TestImages.Encode(source, format == "png" ? new PngEncoder() : new WebpEncoder());

        var error = Assert.Throws<CorruptImageException>(() => Loader.Load(bytes.AsMemory(0, bytes.Length - 20)));

        Assert.Equal(format, error.Format);
    }

    [Fact]
    public void Load_AcceptsDataAfterTheJpegEndMarker()
    {
        // Phones append videos (motion photos) and vendor trailers after EOI; the image itself is whole.
        using var source = TestImages.Gradient(48, 32);
        var jpeg = TestImages.Encode(source, new JpegEncoder());
        var withTrailer = jpeg.Concat(Encoding.ASCII.GetBytes("....ftypmp42 trailing video bytes")).ToArray();

        using var loaded = Loader.Load(withTrailer);

        Assert.Equal(48, loaded.Width);
    }

    static byte[] HeaderOnlyPng(int width, int height)
    {
        using var stream = new MemoryStream();
        stream.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth
        header[9] = 2; // RGB
        WriteChunk(stream, "IHDR", header);
        WriteChunk(stream, "IEND", []);
        return stream.ToArray();
    }

    static void WriteChunk(Stream stream, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        stream.Write(length);
        var typeAndData = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        stream.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(length, Crc32(typeAndData));
        stream.Write(length);
    }

    static (int Offset, int Length) FindChunk(byte[] png, string type)
    {
        for (var at = 8; at + 8 <= png.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            if (Encoding.ASCII.GetString(png, at + 4, 4) == type)
            {
                return (at, length);
            }
            at += 12 + length;
        }
        throw new InvalidOperationException($"No {type} chunk.");
    }

    /// <summary>The PNG chunk CRC (ISO 3309), bit by bit: tiny inputs, no table needed.</summary>
    static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }
        return ~crc;
    }

    /// <summary>What ASP.NET's request body looks like to the loader: readable once, front to back.</summary>
    sealed class ForwardOnlyStream(byte[] data) : Stream
    {
        readonly MemoryStream _inner = new(data);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 100));

        public override void Flush() { }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            _inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
