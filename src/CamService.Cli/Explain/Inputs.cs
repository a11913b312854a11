namespace CamService.Cli.Explain;

/// <summary>An image file to explain and the name its outputs carry (unique in the run).</summary>
public sealed record ImageInput(string Path, string Id);

/// <summary>Finds the images and models a command line names.</summary>
public static class Inputs
{
    /// <summary>Where in the output folder a run writes its overlays, its grids, its consensus and disagreement pictures (--agreement) and its GIFs (--gif).</summary>
    public const string OverlaysFolder = "overlays", GridsFolder = "grids", AgreementFolder = "agreement", AnimationsFolder = "animations";

    /// <summary>What a folder is searched for; a file named on the command line is tried whatever its name.</summary>
    public static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png", ".webp"];

    /// <summary>
    /// The images of <paramref name="paths"/>, in order: a file as it is, a folder's images (by extension,
    /// hidden files left out) sorted by path — only the files directly in it unless <paramref name="recursive"/>,
    /// and never the pictures a run writes in <paramref name="outputDirectory"/> (its overlays and grids
    /// folders), so a run's own overlays are not explained by the next. An image's id is its file name without extension (its path below the folder with
    /// <paramref name="recursive"/>), with "-2", "-3" … added where two images would share one.
    /// </summary>
    public static IReadOnlyList<ImageInput> FindImages(IEnumerable<string> paths, bool recursive, string outputDirectory)
    {
        var written = new[] { OverlaysFolder, GridsFolder, AgreementFolder, AnimationsFolder }.Select(f => Path.Combine(Path.GetFullPath(outputDirectory), f) + Path.DirectorySeparatorChar).ToArray();
        var found = new List<(string Path, string Id)>();
        foreach (var path in paths)
        {
            if (File.Exists(path))
            {
                found.Add((path, Path.GetFileNameWithoutExtension(path)));
            }
            else if (Directory.Exists(path))
            {
                var files = Directory.EnumerateFiles(path, "*", recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
                    .Where(f => ImageExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                    .Where(f => !Path.GetFileName(f).StartsWith('.'))
                    .Where(f => !written.Any(w => Path.GetFullPath(f).StartsWith(w, StringComparison.Ordinal)))
                    .Order(StringComparer.Ordinal);
                foreach (var file in files)
                {
                    var relative = Path.GetRelativePath(path, file);
                    found.Add((file, Path.ChangeExtension(relative, null).Replace(Path.DirectorySeparatorChar, '/')));
                }
            }
            else
            {
                throw new UsageException($"No such file or folder: {path}.");
            }
        }
        if (found.Count == 0)
        {
            throw new UsageException($"No images ({string.Join(", ", ImageExtensions)}) in {string.Join(", ", paths)}.");
        }

        var taken = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        return found.Select(f =>
        {
            var id = f.Id;
            for (var n = 2; !taken.Add(id); n++)
            {
                id = $"{f.Id}-{n}";
            }
            return new ImageInput(f.Path, id);
        }).ToList();
    }

    /// <summary>
    /// The model files of a comma list of files and folders (a folder's *.onnx files, sorted, not its
    /// subfolders: as the service reads its models folder). A model's name is its file name without extension.
    /// </summary>
    public static IReadOnlyList<string> FindModels(string list)
    {
        var models = new List<string>();
        foreach (var path in list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(path))
            {
                models.Add(path);
            }
            else if (Directory.Exists(path))
            {
                models.AddRange(Directory.EnumerateFiles(path, "*.onnx").Order(StringComparer.Ordinal));
            }
            else
            {
                throw new UsageException($"No such model file or folder: {path}.");
            }
        }
        if (models.Count == 0)
        {
            throw new UsageException($"No *.onnx models in {list}.");
        }
        var twice = models.GroupBy(ModelName, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
        {
            throw new UsageException($"Two models are named '{twice.Key}' ({string.Join(", ", twice)}); names come from file names and must differ.");
        }
        return models;
    }

    public static string ModelName(string path) => Path.GetFileNameWithoutExtension(path);
}
