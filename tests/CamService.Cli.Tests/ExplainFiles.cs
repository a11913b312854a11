using CamService.Cli.Explain;
using CamService.Testing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Cli.Tests;

/// <summary>The inputs the explain tests write (folders of photos, copies of models) and how they read what it wrote.</summary>
public static class ExplainFiles
{
    /// <summary>photos/a.png, 32×32 with a red square at its top left, and b.png, <paramref name="width"/>×<paramref name="height"/> with a small one right of centre.</summary>
    public static string TwoPhotos(TemporaryDirectory directory, int width, int height)
    {
        var photos = Folder(directory, "photos");
        WritePng(photos, "a.png", TestImages.RedPatch(32, 32, new Rectangle(0, 0, 20, 20)));
        WritePng(photos, "b.png", TestImages.RedPatch(width, height, new Rectangle(width * 5 / 8, height * 5 / 16, width / 6, height / 4)));
        return photos;
    }

    public static string Copy(string folder, string model, string name)
    {
        var copy = Path.Combine(folder, "copies", name + ".onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        File.Copy(Path.Combine(folder, model + ".onnx"), copy);
        return copy;
    }

    public static List<ExplanationSummary> Explanations(string output) =>
        Summary.FromJson(File.ReadAllText(Path.Combine(output, "summary.json"))).Explanations.ToList();

    public static int MaxDifference(Image<Rgb24> a, Image<Rgb24> b)
    {
        Assert.Equal(a.Size(), b.Size());
        var most = 0;
        for (var y = 0; y < a.Height; y++)
        {
            for (var x = 0; x < a.Width; x++)
            {
                var (p, q) = (a[x, y], b[x, y]);
                most = Math.Max(most, Math.Max(Math.Abs(p.R - q.R), Math.Max(Math.Abs(p.G - q.G), Math.Abs(p.B - q.B))));
            }
        }
        return most;
    }

    public static (int Width, int Height) Dimensions(string path)
    {
        var info = Image.Identify(path);
        return (info.Width, info.Height);
    }

    public static string Folder(TemporaryDirectory directory, string name) => Directory.CreateDirectory(directory.File(name)).FullName;

    public static void WritePng(string folder, string name, Image<Rgb24> image)
    {
        using (image)
        {
            File.WriteAllBytes(Path.Combine(folder, name), TestImages.Png(image));
        }
    }

    /// <summary>RFC 4180: fields split at commas outside quotes, "" inside quotes is one quote, rows end with CRLF.</summary>
    public static List<string[]> Csv(string text)
    {
        var rows = new List<string[]>();
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                fields.Add(field.ToString());
                field.Clear();
                rows.Add([.. fields]);
                fields.Clear();
                i++;
            }
            else
            {
                field.Append(c);
            }
        }
        return rows;
    }
}
