using System.Buffers.Binary;
using System.Text;

namespace CamService.Imaging;

/// <summary>
/// Checks on the encoded bytes that ImageSharp does not make: what an unsupported file is, so the error can
/// name it, and whether a supported file was cut short. ImageSharp 2.1 decodes a truncated JPEG, PNG or
/// WebP without complaint and fills the missing rows with black, which would quietly feed the model half
/// a photo; a file that ends before its closing marker is refused instead.
/// </summary>
internal static class EncodedImage
{
    /// <summary>A human name for a file we do not decode, from its magic number.</summary>
    public static string Describe(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return "an empty body";
        }
        if (data.StartsWith("GIF87a"u8) || data.StartsWith("GIF89a"u8))
        {
            return "GIF image";
        }
        if (data.StartsWith("BM"u8))
        {
            return "BMP image";
        }
        if (data.StartsWith("II*\0"u8) || data.StartsWith("MM\0*"u8))
        {
            return "TIFF image";
        }
        if (data.Length >= 12 && data[4..8].SequenceEqual("ftyp"u8))
        {
            var brand = data[8..12];
            return brand.SequenceEqual("avif"u8) || brand.SequenceEqual("avis"u8) ? "AVIF image"
                : brand.StartsWith("he"u8) || brand.StartsWith("mif"u8) ? "HEIC image"
                : "ISO media file";
        }
        if (data.StartsWith("%PDF"u8))
        {
            return "PDF document";
        }
        if (data.StartsWith("\0\0\u0001\0"u8))
        {
            return "ICO image";
        }
        if (data.StartsWith("RIFF"u8))
        {
            return "RIFF file that is not WebP";
        }
        var head = data[..Math.Min(data.Length, 512)];
        if (LooksLikeText(head))
        {
            var text = Encoding.UTF8.GetString(head).TrimStart('\uFEFF').TrimStart();
            return text.StartsWith("<svg", StringComparison.OrdinalIgnoreCase) || text.Contains("<svg", StringComparison.OrdinalIgnoreCase)
                ? "SVG image"
                : "text";
        }
        return "unrecognised data";
    }

    /// <summary>Why a file of a supported <paramref name="format"/> is incomplete, or null when it is whole.</summary>
    public static string? FindTruncation(ReadOnlySpan<byte> data, string format) => format switch
    {
        "jpeg" => JpegTruncation(data),
        "png" => PngTruncation(data),
        "webp" => WebpTruncation(data),
        _ => null,
    };

    static bool LooksLikeText(ReadOnlySpan<byte> head)
    {
        foreach (var b in head)
        {
            if (b < 0x09 || (b > 0x0D && b < 0x20))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Walks the marker segments and the entropy-coded scans to the EOI marker. A scan ends at the first
    /// 0xFF that is not a stuffed zero (FF 00), a restart marker (FF D0–D7) or fill (FF FF). Data after EOI
    /// (camera trailers, motion-photo videos) is allowed.
    /// </summary>
    static string? JpegTruncation(ReadOnlySpan<byte> data)
    {
        var at = 2; // after SOI, which format detection already matched
        while (true)
        {
            while (at < data.Length && data[at] == 0xFF)
            {
                at++; // a marker may be preceded by any number of fill bytes
            }
            if (at >= data.Length)
            {
                return "the file ends before its end-of-image marker";
            }
            var marker = data[at++];
            if (marker == 0xD9)
            {
                return null;
            }
            if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
            {
                continue; // markers without a length
            }
            if (at + 2 > data.Length)
            {
                return "the file ends inside a marker segment";
            }
            var length = BinaryPrimitives.ReadUInt16BigEndian(data[at..]);
            if (length < 2 || at + length > data.Length)
            {
                return "the file ends inside a marker segment";
            }
            at += length;
            if (marker == 0xDA && (at = SkipEntropyCodedData(data, at)) < 0)
            {
                return "the file ends inside the image data";
            }
        }
    }

    /// <summary>The index of the 0xFF that starts the marker after a scan, or -1 when the data runs out first.</summary>
    static int SkipEntropyCodedData(ReadOnlySpan<byte> data, int at)
    {
        while (true)
        {
            var next = data[at..].IndexOf((byte)0xFF);
            if (next < 0 || at + next + 1 >= data.Length)
            {
                return -1;
            }
            at += next;
            var following = data[at + 1];
            if (following == 0x00 || following is >= 0xD0 and <= 0xD7)
            {
                at += 2;
                continue;
            }
            if (following == 0xFF)
            {
                at++;
                continue;
            }
            return at;
        }
    }

    /// <summary>Walks the chunks (length, type, data, CRC) to IEND.</summary>
    static string? PngTruncation(ReadOnlySpan<byte> data)
    {
        var at = 8; // after the signature
        while (at + 8 <= data.Length)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(data[at..]);
            var end = (long)at + 12 + length;
            if (end > data.Length)
            {
                return "the file ends inside a chunk";
            }
            if (data.Slice(at + 4, 4).SequenceEqual("IEND"u8))
            {
                return null;
            }
            at = (int)end;
        }
        return "the file ends before its IEND chunk";
    }

    /// <summary>The RIFF header states the file's length; fewer bytes than that means it was cut short.</summary>
    static string? WebpTruncation(ReadOnlySpan<byte> data)
    {
        if (data.Length < 12)
        {
            return "the file ends inside its header";
        }
        var declared = 8L + BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
        if (declared > data.Length)
        {
            return $"the file has {data.Length:N0} of the {declared:N0} bytes its header declares";
        }
        // Every chunk must fit in the file: ImageSharp 2.1.13 allocates a metadata chunk (XMP, EXIF, ICC) at its
        // declared size before reading it, so a 4 kB file declaring a 2 GB chunk asked it for 2 GB (fuzz campaign).
        for (long at = 12; at + 8 <= declared; )
        {
            var size = BinaryPrimitives.ReadUInt32LittleEndian(data[(int)(at + 4)..]);
            at += 8 + size + (size & 1);
            if (at > declared + 1)
            {
                return "a chunk declares more bytes than the file has";
            }
        }
        return null;
    }
}
