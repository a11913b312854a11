using System.Runtime.CompilerServices;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace CamService.Imaging;

/// <summary>
/// Writes 8-bit RGB or RGBA PNGs a row at a time. Every answer of POST /cam carries two PNGs per
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
    int rows;

    /// <param name="width">Pixels per row.</param>
    /// <param name="height">Rows.</param>
    /// <param name="channels">3 for RGB, 4 for RGBA.</param>
    public PngWriter(int width, int height, int channels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (channels is not (3 or 4))
        {
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "A PNG row holds RGB (3) or RGBA (4) pixels.");
        }
        (Width, this.height, Channels) = (width, height, channels);
        filtered = new byte[width * channels + 1];
        previous = new byte[width * channels];
        deflate = new ZLibStream(compressed, new ZLibCompressionOptions { CompressionLevel = 3 }, leaveOpen: true);
    }

    public int Width { get; }

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
        // Filter type 2 (Up): each byte minus the byte above it; the first row's "above" is zeros.
        filtered[0] = 2;
        var target = filtered.AsSpan(1);
        for (var i = 0; i < row.Length; i++)
        {
            target[i] = (byte)(row[i] - previous[i]);
        }
        row.CopyTo(previous);
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
        var file = new byte[Signature.Length + (12 + 13) + (12 + data.Length) + 12];
        var span = file.AsSpan();
        Signature.CopyTo(span);
        var offset = Signature.Length;

        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, Width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
        header[8] = 8;                                  // bit depth
        header[9] = (byte)(Channels == 4 ? 6 : 2);      // colour type: RGBA or RGB
        header[10] = header[11] = header[12] = 0;       // deflate, adaptive filtering, no interlace
        offset = Chunk(span, offset, "IHDR"u8, header);
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
