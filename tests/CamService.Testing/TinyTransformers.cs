namespace CamService.Testing;

/// <summary>
/// vit_b_16's, swin_t's, swin_v2_t's, convnext_tiny's and maxvit_t's architectures at a fraction of their size (64-pixel images,
/// seeded random weights), exported by tests/python/tiny_transformers.py as anyone's script would: opset 17, a
/// dynamic batch, no metadata. Exported once per test process into a temporary folder removed when it exits.
/// </summary>
public static class TinyTransformers
{
    public static readonly string[] Names = ["vit", "swin", "swinv2", "convnext", "maxvit"];

    public const int Size = 64;

    static readonly string Script = RepositoryFolder.PathOf("tests", "python", "tiny_transformers.py");

    static readonly Lazy<string> Exported = new(() =>
    {
        var folder = Path.Combine(Path.GetTempPath(), $"camservice-tiny-transformers-{Guid.NewGuid():N}");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(folder, recursive: true);
        Programs.Run(Programs.Python, [Script, "export", "--out", folder], timeout: TimeSpan.FromMinutes(5)).Expect();
        return folder;
    });

    /// <summary>The plain export of a tiny model.</summary>
    public static string PlainPath(string name) => Path.Combine(Exported.Value, $"{name}.onnx");

    /// <summary>Copies the plain exports of <paramref name="names"/> into a models folder.</summary>
    public static void CopyTo(string directory, params string[] names)
    {
        foreach (var name in names)
        {
            File.Copy(PlainPath(name), Path.Combine(directory, $"{name}.onnx"));
        }
    }

    /// <summary>Writes torch autograd's reference for a tiny model at its CAM-ready version's target layer into <paramref name="output"/>.</summary>
    public static string Reference(string name, string camReadyPath, string output)
    {
        Programs.Run(Programs.Python, [Script, "reference", name, "--cam-ready", camReadyPath, "--out", output], timeout: TimeSpan.FromMinutes(5)).Expect();
        return output;
    }
}
