using System.Runtime.CompilerServices;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Imaging;

/// <summary>
/// Writes 8-bit RGB, RGBA or palette PNGs a row at a time. Every answer of POST /cam carries two PNGs per
/// model, and ImageSharp 2.1's managed deflate made them cost more than the model itself; this
/// writer compresses with the runtime's native zlib (level 3 with the Up filter: smaller files than
/// ImageSharp's fastest setting at a fraction of the time) and never holds the whole image.
/// </summary>
public sealed class PngWriter : IDisposable
{
    static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];

    readonly MemoryStream compressed = new();
    readonly ZLibStream deflate;
    readonly byte[] filtered;
    readonly byte[] previous;
    readonly int height;
    readonly byte[]? palette;
    readonly byte[]? transparency;
    readonly bool filterIndices;
    int rows;

    /// <summary>An RGB (3 channels) or RGBA (4 channels) PNG.</summary>
    /// <param name="width">Pixels per row.</param>
    /// <param name="height">Rows.</param>
    /// <param name="channels">3 for RGB, 4 for RGBA.</param>
    public PngWriter(int width, int height, int channels)
        : this(width, height, channels, null, null, filterIndices: false)
    {
        if (channels is not (3 or 4))
        {
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "A PNG row holds RGB (3) or RGBA (4) pixels.");
        }
    }

    PngWriter(int width, int height, int channels, byte[]? palette, byte[]? transparency, bool filterIndices)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        (Width, this.height, Channels, this.palette, this.transparency, this.filterIndices) = (width, height, channels, palette, transparency, filterIndices);
        filtered = new byte[width * channels + 1];
        previous = new byte[width * channels];
        // zlib level 1 (zlib-ng's quick deflate): a third of level 3's time for a third more bytes.
        deflate = new ZLibStream(compressed, new ZLibCompressionOptions { CompressionLevel = 1 }, leaveOpen: true);
    }

    /// <summary>
    /// A palette PNG, one byte per pixel: a quarter of the bytes of RGBA to compress, for images of at
    /// most 256 colours such as a colormapped heatmap.
    /// </summary>
    /// <param name="width">Pixels per row.</param>
    /// <param name="height">Rows.</param>
    /// <param name="colours">Up to 256 entries, RGB.</param>
    /// <param name="alphas">Each entry's opacity (entries past its end are opaque).</param>
    /// <param name="ordered">
    /// Whether neighbouring entries are neighbouring shades, as a colormap's samples in order are: then an index is a
    /// magnitude, and the Sub filter turns a smooth map into runs of small differences. A 1280×960 heatmap of a
    /// 7×7 map: 99 kB in 5.5 ms against 270 kB in 7.8 ms unfiltered (Up: 208 kB, Paeth: 180 kB, both slower).
    /// Otherwise indices are not filtered (PNG spec, 12.8: filtering rarely helps palette images).
    /// </param>
    public static PngWriter Indexed(int width, int height, ReadOnlySpan<Rgb24> colours, ReadOnlySpan<byte> alphas, bool ordered = false)
    {
        if (colours.Length is < 1 or > 256 || alphas.Length > colours.Length)
        {
            throw new ArgumentException("A palette has 1 to 256 colours and at most one alpha per colour.", nameof(colours));
        }
        return new PngWriter(width, height, 1, MemoryMarshal.AsBytes(colours).ToArray(), alphas.ToArray(), ordered);
    }

    public int Width { get; }

    /// <summary>Bytes per pixel: 3 (RGB), 4 (RGBA) or 1 (palette index).</summary>
    public int Channels { get; }

    /// <summary>Appends the next row: <see cref="Width"/> × <see cref="Channels"/> bytes.</summary>
    // The hot loop of every PNG: optimise it now rather than after tiered JIT has seen enough calls.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void WriteRow(ReadOnlySpan<byte> row)
    {
        if (row.Length != previous.Length)
        {
            throw new ArgumentException($"A row has {previous.Length} bytes, not {row.Length}.", nameof(row));
        }
        if (rows == height)
        {
            throw new InvalidOperationException($"All {height} rows are written.");
        }
        var target = filtered.AsSpan(1);
        if (palette is not null && !filterIndices)
        {
            // Indices of an unordered palette are not magnitudes: filtering them does not help (PNG spec, 12.8).
            filtered[0] = 0;
            row.CopyTo(target);
        }
        else if (palette is not null)
        {
            // Filter type 1 (Sub): each index minus the one to its left.
            filtered[0] = 1;
            target[0] = row[0];
            for (var i = 1; i < row.Length; i++)
            {
                target[i] = (byte)(row[i] - row[i - 1]);
            }
        }
        else
        {
            // Filter type 2 (Up): each byte minus the byte above it; the first row's "above" is zeros.
            filtered[0] = 2;
            for (var i = 0; i < row.Length; i++)
            {
                target[i] = (byte)(row[i] - previous[i]);
            }
            row.CopyTo(previous);
        }
        deflate.Write(filtered);
        rows++;
    }

    /// <summary>The PNG file, once every row is written.</summary>
    public byte[] ToArray()
    {
        if (rows != height)
        {
            throw new InvalidOperationException($"{rows} of {height} rows are written.");
        }
        deflate.Flush();
        deflate.Dispose();

        var data = compressed.GetBuffer().AsSpan(0, (int)compressed.Length);
        var paletteChunks = palette is null ? 0 : 12 + palette.Length + (transparency!.Length > 0 ? 12 + transparency.Length : 0);
        var file = new byte[Signature.Length + (12 + 13) + paletteChunks + (12 + data.Length) + 12];
        var span = file.AsSpan();
        Signature.CopyTo(span);
        var offset = Signature.Length;

        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, Width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
        header[8] = 8;                                  // bit depth
        header[9] = Channels switch { 4 => 6, 3 => 2, _ => 3 }; // colour type: RGBA, RGB or palette
        header[10] = header[11] = header[12] = 0;       // deflate, adaptive filtering, no interlace
        offset = Chunk(span, offset, "IHDR"u8, header);
        if (palette is not null)
        {
            offset = Chunk(span, offset, "PLTE"u8, palette);
            if (transparency!.Length > 0)
            {
                offset = Chunk(span, offset, "tRNS"u8, transparency);
            }
        }
        offset = Chunk(span, offset, "IDAT"u8, data);
        Chunk(span, offset, "IEND"u8, []);
        return file;
    }

    public void Dispose()
    {
        deflate.Dispose();
        compressed.Dispose();
    }

    static int Chunk(Span<byte> file, int offset, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        BinaryPrimitives.WriteInt32BigEndian(file[offset..], data.Length);
        type.CopyTo(file[(offset + 4)..]);
        data.CopyTo(file[(offset + 8)..]);
        var crc = new Crc32();
        crc.Append(type);
        crc.Append(data);
        BinaryPrimitives.WriteUInt32BigEndian(file[(offset + 8 + data.Length)..], crc.GetCurrentHashAsUInt32());
        return offset + 12 + data.Length;
    }
}
