using System.Buffers;
using System.Text.Json;

namespace CamService.Cam;

/// <summary>
/// A JSON answer serialised whole before its first byte is sent: a failure while writing it then becomes a problem
/// with the right status, never a 200 cut off in the middle. The price is that the answer and the pictures it encodes
/// are held together until it is written; Cam:MaxOutputPixels bounds both. It is held in segments rather than one
/// array: no buffer grows by doubling past the answer (one that grew to the answer's size once asked for a single
/// 2.17 GB array), no byte is copied to make it contiguous, and the segments are the garbage collector's, not the
/// shared pool's, so a large answer's memory is not kept cached by the threads that wrote one.
/// </summary>
public sealed class CompleteJson : IResult
{
    public const string ContentType = "application/json; charset=utf-8";

    readonly IReadOnlyList<ReadOnlyMemory<byte>> segments;

    CompleteJson(IReadOnlyList<ReadOnlyMemory<byte>> segments)
    {
        this.segments = segments;
        Length = segments.Sum(s => (long)s.Length);
    }

    /// <summary>The answer's length in bytes.</summary>
    public long Length { get; }

    public static CompleteJson Serialize<T>(T value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var buffer = new SegmentedBuffer();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = options.Encoder, Indented = options.WriteIndented }))
        {
            JsonSerializer.Serialize(writer, value, options);
        }
        return new CompleteJson(buffer.Segments());
    }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        response.ContentType = ContentType;
        response.ContentLength = Length;
        foreach (var segment in segments)
        {
            await response.Body.WriteAsync(segment, httpContext.RequestAborted);
        }
    }

    /// <summary>
    /// An <see cref="IBufferWriter{T}"/> that adds a segment when the current one is full: twice the last, from 16 kB up
    /// to 1 MB, or exactly what the writer asks for when that is more (a picture's base64 is written in one piece).
    /// </summary>
    sealed class SegmentedBuffer : IBufferWriter<byte>
    {
        const int FirstSegment = 16 * 1024;
        const int LargestSegment = 1024 * 1024;

        readonly List<ReadOnlyMemory<byte>> full = [];
        byte[] current = new byte[FirstSegment];
        int used;

        public void Advance(int count)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(count);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(count, current.Length - used);
            used += count;
        }

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return current.AsMemory(used);
        }

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return current.AsSpan(used);
        }

        public List<ReadOnlyMemory<byte>> Segments() => used > 0 ? [.. full, current.AsMemory(0, used)] : [.. full];

        void Ensure(int sizeHint)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
            var needed = Math.Max(sizeHint, 1);
            if (current.Length - used >= needed)
            {
                return;
            }
            if (used > 0)
            {
                full.Add(current.AsMemory(0, used));
            }
            current = new byte[Math.Max(needed, Math.Min(2 * current.Length, LargestSegment))];
            used = 0;
        }
    }
}
