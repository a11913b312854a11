using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;

namespace CamService.Imaging;

/// <summary>
/// Inflates a PNG's image data before ImageSharp decodes it, and refuses data that is not a zlib stream holding at
/// least the bytes the header's rows need. ImageSharp 2.1.13 loops forever, holding a core, on an interlaced PNG
/// whose data inflates to fewer bytes than its rows (a mutated 308-byte file found by the fuzz campaign; its decoder
/// ignores cancellation), so such a file must never reach it. The inflate runs into a fixed buffer and stops once the
/// rows are covered: as long as the decoder's own inflate at most, and no memory that grows with the image.
/// </summary>
internal static class PngDataCheck
{
    /// <summary>Why the data is refused, or null when the rows are all there (a complete file, already identified).</summary>
    public static string? Problem(ReadOnlySpan<byte> file)
    {
        var at = 8;
        long needed = 0;
        using var compressed = new MemoryStream();
        while (at + 12 <= file.Length)
        {
            var declared = BinaryPrimitives.ReadUInt32BigEndian(file[at..]);
            var type = file.Slice(at + 4, 4);
            if (declared > (uint)(file.Length - at - 12) || type.SequenceEqual("IEND"u8))
            {
                break;
            }
            var length = (int)declared;
            var data = file.Slice(at + 8, length);
            if (type.SequenceEqual("IHDR"u8) && length >= 13)
            {
                needed = RowBytes(BinaryPrimitives.ReadUInt32BigEndian(data), BinaryPrimitives.ReadUInt32BigEndian(data[4..]), data[8], data[9], data[12]);
            }
            else if (type.SequenceEqual("IDAT"u8))
            {
                compressed.Write(data);
            }
            at += 12 + length;
        }
        if (needed <= 0)
        {
            return null;
        }
        compressed.Position = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            using var inflate = new ZLibStream(compressed, CompressionMode.Decompress);
            long inflated = 0;
            int read;
            while (inflated < needed && (read = inflate.Read(buffer, 0, buffer.Length)) > 0)
            {
                inflated += read;
            }
            return inflated < needed ? "its image data ends before its last row" : null;
        }
        // zlib's refusals: InvalidDataException, or an IOException (ZLibException) for some streams (the fuzz campaign's png #13031).
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return "its image data is not a valid zlib stream";
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The inflated bytes a PNG's rows take: each row's bytes and its filter byte, over the 7 passes of Adam7 when interlaced.</summary>
    static long RowBytes(uint width, uint height, byte bitDepth, byte colorType, byte interlace)
    {
        int channels = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => 0 };
        var bitsPerPixel = (long)channels * bitDepth;
        if (bitsPerPixel == 0 || width == 0 || height == 0)
        {
            return 0;
        }
        long Rows(long w, long h) => w == 0 || h == 0 ? 0 : h * ((w * bitsPerPixel + 7) / 8 + 1);
        if (interlace != 1)
        {
            return Rows(width, height);
        }
        ReadOnlySpan<(int X, int Y, int Dx, int Dy)> passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];
        long total = 0;
        foreach (var (x, y, dx, dy) in passes)
        {
            total += Rows((width - x + dx - 1) / dx, (height - y + dy - 1) / dy);
        }
        return total;
    }
}
