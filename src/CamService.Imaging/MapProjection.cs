using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace CamService.Imaging;

/// <summary>
/// A class activation map upsampled onto a <see cref="Width"/>×<see cref="Height"/> rendering of the image, a row
/// at a time (<see cref="Row"/>): a picture is encoded row by row from it, so drawing one never holds a float per
/// pixel (a 40 MP picture's would be 160 MB, and pooled, kept). Holds the normalised map and the column weights,
/// a few kilobytes; not thread-safe, one per picture. See <see cref="CamRenderer.Project(ReadOnlySpan{float}, int, int, InputGeometry, Span{float}, int, int)"/>
/// for the interpolation.
/// </summary>
public sealed class MapProjection : IMapRows, IDisposable
{
    readonly float[] normalised;
    readonly float[] mapRow;
    readonly int[] columns;
    readonly float[] columnWeights;
    readonly int camHeight;
    readonly int camWidth;
    readonly int left;
    readonly int right;
    readonly int top;
    readonly int bottom;
    readonly double rowSlope;
    readonly double rowIntercept;
    bool disposed;

    public MapProjection(ReadOnlySpan<float> cam, int camHeight, int camWidth, InputGeometry geometry, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        ArgumentOutOfRangeException.ThrowIfLessThan(camHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(camWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (cam.Length != camHeight * camWidth)
        {
            throw new ArgumentException($"The map has {cam.Length} values, not {camHeight}×{camWidth}.", nameof(cam));
        }
        (this.camHeight, this.camWidth, Width, Height) = (camHeight, camWidth, width, height);
        (left, right) = geometry.X.Covered(width);
        (top, bottom) = geometry.Y.Covered(height);
        (rowSlope, rowIntercept) = geometry.Y.ToMap(height, camHeight);

        normalised = ArrayPool<float>.Shared.Rent(cam.Length);
        mapRow = ArrayPool<float>.Shared.Rent(camWidth + 1);
        columns = ArrayPool<int>.Shared.Rent(right - left);
        columnWeights = ArrayPool<float>.Shared.Rent(right - left);
        try
        {
            Normalise(cam, normalised.AsSpan(0, cam.Length));
        }
        catch
        {
            Dispose();
            throw;
        }
        var (columnSlope, columnIntercept) = geometry.X.ToMap(width, camWidth);
        for (var x = left; x < right; x++)
        {
            (columns[x - left], columnWeights[x - left]) = Sample(columnSlope * x + columnIntercept, camWidth);
        }
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>
    /// Row <paramref name="y"/> into <paramref name="output"/> (<see cref="Width"/> values): in [0, 1], NaN where the
    /// pixel's centre lies outside the model input.
    /// </summary>
    // Runs once per row of every picture: optimise its loops now rather than after tiered JIT has seen enough calls.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Row(int y, Span<float> output)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(y);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(y, Height);
        if (output.Length != Width)
        {
            throw new ArgumentException($"The row holds {output.Length} values, not {Width}.", nameof(output));
        }
        if (y < top || y >= bottom)
        {
            output.Fill(float.NaN);
            return;
        }
        // Interpolated vertically into one padded row of the map (the extra cell repeats the last, so the right
        // edge needs no branch), then horizontally with the per-column indices and weights.
        var (cell, weight) = Sample(rowSlope * y + rowIntercept, camHeight);
        var below = Math.Min(cell + 1, camHeight - 1);
        var map = normalised.AsSpan(0, camHeight * camWidth);
        var row = mapRow.AsSpan(0, camWidth + 1);
        TensorPrimitives.Lerp(map.Slice(cell * camWidth, camWidth), map.Slice(below * camWidth, camWidth), weight, row[..camWidth]);
        row[camWidth] = row[camWidth - 1];
        output[..left].Fill(float.NaN);
        output[right..].Fill(float.NaN);
        for (var x = left; x < right; x++)
        {
            var i = columns[x - left];
            var a = row[i];
            output[x] = a + (row[i + 1] - a) * columnWeights[x - left];
        }
    }

    ReadOnlySpan<float> IMapRows.Row(int y, Span<float> scratch)
    {
        Row(y, scratch);
        return scratch;
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }
        disposed = true;
        ArrayPool<float>.Shared.Return(normalised);
        ArrayPool<float>.Shared.Return(mapRow);
        ArrayPool<int>.Shared.Return(columns);
        ArrayPool<float>.Shared.Return(columnWeights);
    }

    /// <summary>(v − min) / (max − min); a constant map becomes all zeros rather than NaN.</summary>
    static void Normalise(ReadOnlySpan<float> cam, Span<float> map)
    {
        var (min, max) = (TensorPrimitives.Min(cam), TensorPrimitives.Max(cam));
        if (!float.IsFinite(min) || !float.IsFinite(max))
        {
            throw new ArgumentException("The map holds NaN or infinite values.", nameof(cam));
        }
        var range = max - min;
        if (range <= 0)
        {
            map.Clear();
            return;
        }
        // v − min ≤ max − min holds in floating point too, so the division never exceeds 1.
        TensorPrimitives.Subtract(cam, min, map);
        TensorPrimitives.Divide(map, range, map);
    }

    /// <summary>A map centre coordinate → the cell at or before it and the weight of the next, holding the edges.</summary>
    static (int Cell, float Weight) Sample(double coordinate, int cells)
    {
        var clamped = Math.Clamp(coordinate, 0, cells - 1);
        var cell = (int)clamped;
        return (cell, (float)(clamped - cell));
    }
}

/// <summary>Where a picture's rows of map values come from: a projected map held whole, or a <see cref="MapProjection"/> computing each.</summary>
internal interface IMapRows
{
    /// <summary>Row <paramref name="y"/>: a slice of the values held, or <paramref name="scratch"/> filled with it.</summary>
    ReadOnlySpan<float> Row(int y, Span<float> scratch);
}

/// <summary>Rows of a projected map held whole, row-major.</summary>
internal readonly ref struct ProjectedRows(ReadOnlySpan<float> values, int width) : IMapRows
{
    readonly ReadOnlySpan<float> values = values;

    public ReadOnlySpan<float> Row(int y, Span<float> scratch) => values.Slice(y * width, width);
}
