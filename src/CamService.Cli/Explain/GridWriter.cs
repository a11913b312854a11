using System.Runtime.InteropServices;
using CamService.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace CamService.Cli.Explain;

/// <summary>
/// One grid picture: a row per image, a column per model, each overlay fitted into a square cell of
/// <paramref name="cell"/> pixels on a dark ground, <see cref="Gap"/> pixels apart. Rows go into the PNG as
/// soon as they are complete, so a run over thousands of images holds one batch of cells, not the grid.
/// A row whose image failed stays empty.
/// </summary>
public sealed class GridWriter(int columns, int rows, int cell) : IDisposable
{
    public const int Gap = 2;

    static readonly Rgb24 Ground = new(32, 32, 32);

    readonly PngWriter png = new(SideOf(columns, cell), SideOf(rows, cell), 3);
    readonly Dictionary<(int Row, int Column), Image<Rgb24>> pending = [];
    int written;

    /// <summary>Pixels across <paramref name="count"/> cells and the gaps between them.</summary>
    public static int SideOf(int count, int cell) => count * cell + (count - 1) * Gap;

    /// <summary>The size a <paramref name="width"/>×<paramref name="height"/> picture is drawn at to fill a cell's longer side.</summary>
    public static (int Width, int Height) CellSize(int width, int height, int cell)
    {
        var scale = (double)cell / Math.Max(width, height);
        return (Math.Clamp((int)Math.Round(width * scale), 1, cell), Math.Clamp((int)Math.Round(height * scale), 1, cell));
    }

    /// <summary>Places a picture (at most cell × cell) in a row not yet written; the grid disposes it.</summary>
    public void Place(int row, int column, Image<Rgb24> picture)
    {
        if (row < written || row >= rows || column < 0 || column >= columns || picture.Width > cell || picture.Height > cell)
        {
            picture.Dispose();
            throw new ArgumentOutOfRangeException(nameof(row), $"Cell ({row}, {column}) of {picture.Width}×{picture.Height} is outside the rows still open.");
        }
        if (pending.Remove((row, column), out var replaced))
        {
            replaced.Dispose();
        }
        pending[(row, column)] = picture;
    }

    /// <summary>Writes every row before <paramref name="end"/>, with the cells placed in them.</summary>
    public void CompleteRows(int end)
    {
        var width = SideOf(columns, cell);
        var ground = new Rgb24[width];
        Array.Fill(ground, Ground);
        for (; written < Math.Min(end, rows); written++)
        {
            var row = written;
            using var band = new Image<Rgb24>(width, cell, Ground);
            band.Mutate(x =>
            {
                for (var column = 0; column < columns; column++)
                {
                    if (pending.Remove((row, column), out var picture))
                    {
                        using (picture)
                        {
                            x.DrawImage(picture, new Point(column * (cell + Gap) + (cell - picture.Width) / 2, (cell - picture.Height) / 2), 1f);
                        }
                    }
                }
            });
            if (row > 0)
            {
                for (var y = 0; y < Gap; y++)
                {
                    png.WriteRow(MemoryMarshal.AsBytes(ground.AsSpan()));
                }
            }
            for (var y = 0; y < cell; y++)
            {
                png.WriteRow(MemoryMarshal.AsBytes(band.DangerousGetPixelRowMemory(y).Span));
            }
        }
    }

    /// <summary>The grid as a PNG file, writing any rows left (empty).</summary>
    public byte[] ToPng()
    {
        CompleteRows(rows);
        return png.ToArray();
    }

    public void Dispose()
    {
        foreach (var picture in pending.Values)
        {
            picture.Dispose();
        }
        pending.Clear();
        png.Dispose();
    }
}
