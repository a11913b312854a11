using System.Buffers.Binary;

namespace CamService.Fuzzing;

/// <summary>What a fuzz input is, for the mutator to aim at its structure.</summary>
public enum FuzzFormat
{
    Jpeg,
    Png,
    Webp,
    Multipart,
    Json,
}

/// <summary>
/// A structured mutator: from a valid seed, one to four mutations, each either blind (bit flips, interesting
/// bytes and integers, truncation, deleted, repeated or inserted ranges, a splice with another seed) or aimed at
/// the format's structure (a chunk's or segment's contents, its declared length, the image's declared width and
/// height, dropped, repeated and swapped segments), after which PNG checksums and the RIFF length are usually
/// repaired so the damage reaches the parser behind them. Everything it does comes from the <see cref="Random"/>
/// it is given, so an input is reproduced from the campaign's seed, the target and the input's number.
/// </summary>
public static class Mutator
{
    static readonly byte[] InterestingBytes = [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF, 0x10, 0x40];

    static readonly ulong[] InterestingIntegers =
        [0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x3FFF, 0x4000, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0xFFFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF];

    public static byte[] Mutate(Random random, FuzzFormat format, byte[] seed, IReadOnlyList<byte[]> others, List<string>? log = null)
    {
        var data = seed;
        var count = 1 + random.Next(4);
        for (var i = 0; i < count; i++)
        {
            data = MutateOnce(random, format, data, others, log);
        }
        if (format is FuzzFormat.Png or FuzzFormat.Webp && random.Next(5) != 0)
        {
            data = (byte[])data.Clone();
            Segments.Repair(format, data);
            log?.Add("repair");
        }
        return data;
    }

    static byte[] MutateOnce(Random random, FuzzFormat format, byte[] data, IReadOnlyList<byte[]> others, List<string>? log)
    {
        var segments = Segments.Of(format, data);
        if (segments.Count > 0 && random.Next(2) == 0)
        {
            return Structured(random, format, data, segments, others, log);
        }
        return Blind(random, data, 0, data.Length, others, log);
    }

    /// <summary>A mutation anywhere in [<paramref name="from"/>, <paramref name="to"/>) of the data.</summary>
    public static byte[] Blind(Random random, byte[] data, int from, int to, IReadOnlyList<byte[]> others, List<string>? log)
    {
        if (to <= from)
        {
            return Insert(random, data, from, log);
        }
        var copy = (byte[])data.Clone();
        var at = random.Next(from, to);
        switch (random.Next(10))
        {
            case 0:
            case 1:
                var flips = 1 + random.Next(8);
                for (var i = 0; i < flips; i++)
                {
                    var bit = random.Next(from, to);
                    copy[bit] ^= (byte)(1 << random.Next(8));
                }
                log?.Add($"flip {flips} bits in [{from},{to})");
                return copy;
            case 2:
                copy[at] = InterestingBytes[random.Next(InterestingBytes.Length)];
                log?.Add($"byte at {at}");
                return copy;
            case 3:
                var field = new SizeField(at, new[] { 1, 2, 3, 4 }[random.Next(4)], random.Next(2) == 0);
                var value = Interesting(random);
                field.Write(copy, value);
                log?.Add($"integer {value} at {at}");
                return copy;
            case 4:
                log?.Add($"truncate at {at}");
                return data[..at];
            case 5:
                var length = Math.Min(to - at, 1 + random.Next(Math.Max(1, (to - from) / 4)));
                log?.Add($"delete {length} at {at}");
                return [.. data.AsSpan(0, at), .. data.AsSpan(at + length)];
            case 6:
                var repeated = Math.Min(to - at, 1 + random.Next(64));
                var times = 1 + random.Next(4);
                log?.Add($"repeat {repeated} at {at} {times} times");
                var result = new List<byte>(data.Length + repeated * times);
                result.AddRange(data.AsSpan(0, at + repeated));
                for (var i = 0; i < times; i++)
                {
                    result.AddRange(data.AsSpan(at, repeated));
                }
                result.AddRange(data.AsSpan(at + repeated));
                return [.. result];
            case 7:
                return Insert(random, data, at, log);
            case 8 when others.Count > 0:
                var other = others[random.Next(others.Count)];
                var cut = random.Next(other.Length);
                log?.Add($"splice at {at} with another seed from {cut}");
                return [.. data.AsSpan(0, at), .. other.AsSpan(cut)];
            default:
                var source = random.Next(data.Length);
                var span = Math.Min(Math.Min(data.Length - source, to - at), 1 + random.Next(32));
                data.AsSpan(source, span).CopyTo(copy.AsSpan(at));
                log?.Add($"copy {span} from {source} to {at}");
                return copy;
        }
    }

    static byte[] Insert(Random random, byte[] data, int at, List<string>? log)
    {
        var inserted = new byte[1 + random.Next(random.Next(4) == 0 ? 4096 : 16)];
        if (random.Next(2) == 0)
        {
            random.NextBytes(inserted);
        }
        else
        {
            Array.Fill(inserted, InterestingBytes[random.Next(InterestingBytes.Length)]);
        }
        log?.Add($"insert {inserted.Length} at {at}");
        return [.. data.AsSpan(0, at), .. inserted, .. data.AsSpan(at)];
    }

    static ulong Interesting(Random random) =>
        random.Next(4) == 0 ? (ulong)random.NextInt64() : InterestingIntegers[random.Next(InterestingIntegers.Length)] + (ulong)(random.Next(3) - 1);

    static byte[] Structured(Random random, FuzzFormat format, byte[] data, IReadOnlyList<Segment> segments, IReadOnlyList<byte[]> others, List<string>? log)
    {
        var segment = segments[random.Next(segments.Count)];
        switch (random.Next(6))
        {
            case 0:
            case 1:
                log?.Add($"in segment at {segment.Start}:");
                return Blind(random, data, segment.Payload, Math.Min(segment.PayloadEnd, data.Length), others, log);
            case 2 when segment.SizeField is { } size:
                var copy = (byte[])data.Clone();
                var value = Interesting(random);
                size.Write(copy, value);
                log?.Add($"length of segment at {segment.Start} = {value}");
                return copy;
            case 3 when Segments.Dimensions(format, data, segments) is { Count: > 0 } dimensions:
                var dimensioned = (byte[])data.Clone();
                var dimension = dimensions[random.Next(dimensions.Count)];
                var declared = Interesting(random);
                dimension.Write(dimensioned, declared);
                log?.Add($"dimension at {dimension.Offset} = {declared}");
                return dimensioned;
            case 4:
                log?.Add($"drop segment at {segment.Start}");
                return [.. data.AsSpan(0, segment.Start), .. data.AsSpan(segment.End)];
            default:
                var other = segments[random.Next(segments.Count)];
                if (random.Next(2) == 0 || other.Start == segment.Start)
                {
                    log?.Add($"repeat segment at {segment.Start} before {other.Start}");
                    return [.. data.AsSpan(0, other.Start), .. data.AsSpan(segment.Start, segment.Length), .. data.AsSpan(other.Start)];
                }
                var (first, second) = segment.Start < other.Start ? (segment, other) : (other, segment);
                log?.Add($"swap segments at {first.Start} and {second.Start}");
                return [.. data.AsSpan(0, first.Start), .. data.AsSpan(second.Start, second.Length), .. data.AsSpan(first.End, second.Start - first.End),
                    .. data.AsSpan(first.Start, first.Length), .. data.AsSpan(second.End)];
        }
    }

    /// <summary>The random source for input <paramref name="index"/> of <paramref name="target"/>: independent of every other input, so any one can be regenerated alone.</summary>
    public static Random For(int seed, string target, long index)
    {
        Span<byte> key = stackalloc byte[12];
        BinaryPrimitives.WriteInt32LittleEndian(key, seed);
        BinaryPrimitives.WriteInt64LittleEndian(key[4..], index);
        var hash = System.IO.Hashing.XxHash64.HashToUInt64(key, (long)System.IO.Hashing.XxHash64.HashToUInt64(System.Text.Encoding.UTF8.GetBytes(target)));
        return new Random((int)(hash ^ (hash >> 32)));
    }
}
