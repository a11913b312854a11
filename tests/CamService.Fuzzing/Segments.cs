using System.Buffers.Binary;

namespace CamService.Fuzzing;

/// <summary>
/// One unit of a file's structure that the mutator can aim at: a PNG chunk, a JPEG marker segment, a RIFF chunk of
/// WebP, a part of a multipart body. <see cref="Payload"/> is its contents; <see cref="SizeField"/> (when it has one)
/// is the integer that declares their length, which decoders trust and mutations lie in.
/// </summary>
public readonly record struct Segment(int Start, int End, int Payload, int PayloadEnd, SizeField? SizeField)
{
    public int Length => End - Start;
}

/// <summary>Where a length or dimension is stored: offset, width in bytes and byte order.</summary>
public readonly record struct SizeField(int Offset, int Bytes, bool BigEndian)
{
    public void Write(Span<byte> data, ulong value)
    {
        if (Offset + Bytes > data.Length)
        {
            return;
        }
        for (var i = 0; i < Bytes; i++)
        {
            var shift = 8 * (BigEndian ? Bytes - 1 - i : i);
            data[Offset + i] = (byte)(value >> shift);
        }
    }
}

/// <summary>Splits files of the formats the service decodes into segments, and repairs what a decoder would otherwise refuse first.</summary>
public static class Segments
{
    public static IReadOnlyList<Segment> Of(FuzzFormat format, ReadOnlySpan<byte> data) => format switch
    {
        FuzzFormat.Png => Png(data),
        FuzzFormat.Jpeg => Jpeg(data),
        FuzzFormat.Webp => Riff(data),
        FuzzFormat.Multipart => Parts(data),
        _ => [],
    };

    /// <summary>The image format the bytes start as, by signature; JPEG when none (the mutator then finds no structure and mutates blind).</summary>
    public static FuzzFormat Detect(ReadOnlySpan<byte> data) =>
        data.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47]) ? FuzzFormat.Png : data.StartsWith("RIFF"u8) ? FuzzFormat.Webp : FuzzFormat.Jpeg;

    /// <summary>The fields inside headers that declare sizes: image width and height, besides the segments' own lengths.</summary>
    public static IReadOnlyList<SizeField> Dimensions(FuzzFormat format, ReadOnlySpan<byte> data, IReadOnlyList<Segment> segments)
    {
        var fields = new List<SizeField>();
        foreach (var s in segments)
        {
            switch (format)
            {
                case FuzzFormat.Png when Tag(data, s.Start + 4) == "IHDR" && s.PayloadEnd - s.Payload >= 8:
                    fields.Add(new(s.Payload, 4, true));
                    fields.Add(new(s.Payload + 4, 4, true));
                    break;
                case FuzzFormat.Jpeg when s.Start + 1 < data.Length && data[s.Start + 1] is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC
                                          && s.PayloadEnd - s.Payload >= 5:
                    fields.Add(new(s.Payload + 1, 2, true));
                    fields.Add(new(s.Payload + 3, 2, true));
                    break;
                case FuzzFormat.Webp when Tag(data, s.Start) == "VP8X" && s.PayloadEnd - s.Payload >= 10:
                    fields.Add(new(s.Payload + 4, 3, false));
                    fields.Add(new(s.Payload + 7, 3, false));
                    break;
                case FuzzFormat.Webp when Tag(data, s.Start) == "VP8 " && s.PayloadEnd - s.Payload >= 10:
                    fields.Add(new(s.Payload + 6, 2, false));
                    fields.Add(new(s.Payload + 8, 2, false));
                    break;
                case FuzzFormat.Webp when Tag(data, s.Start) == "VP8L" && s.PayloadEnd - s.Payload >= 5:
                    fields.Add(new(s.Payload + 1, 4, false));
                    break;
            }
        }
        return fields;
    }

    /// <summary>
    /// Makes the checksums and the RIFF length agree with the data again, so that a mutation inside a chunk reaches
    /// the decoder's parser instead of stopping at the CRC check (PNG) or the container's length (WebP).
    /// </summary>
    public static void Repair(FuzzFormat format, byte[] data)
    {
        switch (format)
        {
            case FuzzFormat.Png:
                foreach (var s in Png(data))
                {
                    if (s.PayloadEnd + 4 <= data.Length && s.End == s.PayloadEnd + 4)
                    {
                        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(s.PayloadEnd), System.IO.Hashing.Crc32.HashToUInt32(data.AsSpan(s.Start + 4, s.PayloadEnd - s.Start - 4)));
                    }
                }
                break;
            case FuzzFormat.Webp when data.Length >= 12:
                BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(4), (uint)(data.Length - 8));
                break;
        }
    }

    static string Tag(ReadOnlySpan<byte> data, int at) =>
        at + 4 <= data.Length ? System.Text.Encoding.ASCII.GetString(data.Slice(at, 4)) : "";

    /// <summary>PNG: an 8-byte signature, then chunks of length (4, big-endian), type (4), data and CRC (4).</summary>
    static List<Segment> Png(ReadOnlySpan<byte> data)
    {
        var segments = new List<Segment>();
        var at = 8;
        while (at + 12 <= data.Length)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(data[at..]);
            if (length > (uint)(data.Length - at - 12))
            {
                break;
            }
            var end = at + 12 + (int)length;
            segments.Add(new(at, end, at + 8, end - 4, new SizeField(at, 4, true)));
            at = end;
        }
        return segments;
    }

    /// <summary>JPEG: markers FF xx; those with a payload carry a 2-byte big-endian length. The scan runs to the next marker.</summary>
    static List<Segment> Jpeg(ReadOnlySpan<byte> data)
    {
        var segments = new List<Segment>();
        var at = 2;
        while (at + 4 <= data.Length && data[at] == 0xFF)
        {
            var marker = data[at + 1];
            if (marker == 0xD9)
            {
                segments.Add(new(at, at + 2, at + 2, at + 2, null));
                break;
            }
            int length = BinaryPrimitives.ReadUInt16BigEndian(data[(at + 2)..]);
            var end = Math.Min(data.Length, at + 2 + length);
            if (marker == 0xDA)
            {
                // Entropy-coded data follows the scan header up to the next marker that is not a stuffed 00 or a restart.
                var scan = end;
                while (scan + 1 < data.Length && !(data[scan] == 0xFF && data[scan + 1] is not 0x00 and not (>= 0xD0 and <= 0xD7)))
                {
                    scan++;
                }
                segments.Add(new(at, scan, at + 4, scan, new SizeField(at + 2, 2, true)));
                at = scan;
                continue;
            }
            segments.Add(new(at, end, at + 4, end, new SizeField(at + 2, 2, true)));
            at = end;
        }
        return segments;
    }

    /// <summary>A multipart input (its Content-Type line, then the body): each part from its boundary line to the next, its contents after the blank line.</summary>
    static List<Segment> Parts(ReadOnlySpan<byte> data)
    {
        var segments = new List<Segment>();
        var line = data.IndexOf((byte)'\n');
        var parameter = line < 0 ? -1 : data[..line].IndexOf("boundary="u8);
        if (parameter < 0)
        {
            return segments;
        }
        byte[] delimiter = [.. "--"u8, .. data[(parameter + "boundary=".Length)..line]];
        var at = data[line..].IndexOf(delimiter) is var first and >= 0 ? line + first : -1;
        while (at >= 0)
        {
            var next = data[(at + delimiter.Length)..].IndexOf(delimiter);
            if (next < 0)
            {
                break;
            }
            var end = at + delimiter.Length + next;
            var blank = data[at..end].IndexOf("\r\n\r\n"u8);
            var payload = blank < 0 ? end : at + blank + 4;
            segments.Add(new(at, end, payload, Math.Max(payload, end - 2), null));
            at = end;
        }
        return segments;
    }

    /// <summary>WebP: a RIFF header of 12 bytes, then chunks of a FourCC, a 4-byte little-endian length, data and a pad byte to an even length.</summary>
    static List<Segment> Riff(ReadOnlySpan<byte> data)
    {
        var segments = new List<Segment>();
        var at = 12;
        while (at + 8 <= data.Length)
        {
            var length = BinaryPrimitives.ReadUInt32LittleEndian(data[(at + 4)..]);
            if (length > (uint)(data.Length - at - 8))
            {
                break;
            }
            var payloadEnd = at + 8 + (int)length;
            var end = Math.Min(data.Length, payloadEnd + (int)(length & 1));
            segments.Add(new(at, end, at + 8, payloadEnd, new SizeField(at + 4, 4, false)));
            at = end;
        }
        return segments;
    }
}
