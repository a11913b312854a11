using System.Text.Json;
using CamService.Testing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Processing;
using SixLabors.ImageSharp.Processing.Processors.Transforms;

namespace CamService.Imaging.Tests.Support;

/// <summary>One comparison: an image file, a preprocessing and a resize mode.</summary>
public sealed record TorchvisionCase(string Name, string Image, ResizeMode Mode, InputPreprocessing Preprocessing);

/// <summary>
/// Runs torchvision's own evaluation transforms (tests/python/torchvision_preprocess.py) once for every case
/// and keeps the tensors; PIL and torchvision come from Debian (python3-torchvision, python3-pil).
/// </summary>
public sealed class TorchvisionReference : IDisposable
{
    static readonly InputPreprocessing ImageNet = InputPreprocessing.ImageNet();

    readonly string _folder = Directory.CreateTempSubdirectory("camservice-torchvision-").FullName;
    readonly Dictionary<string, float[]> _tensors = [];

    public TorchvisionReference()
    {
        // A portrait photo, made losslessly (a 90° turn of a PNG), so crops are checked in both orientations.
        var portrait = Path.Combine(_folder, "chelsea-portrait.png");
        using (var chelsea = SixLabors.ImageSharp.Image.Load(Repository.Sample("chelsea.png")))
        {
            chelsea.Mutate(x => x.Rotate(RotateMode.Rotate90));
            chelsea.SaveAsPng(portrait);
        }
        // rocket.jpg as PIL decodes it, so that case measures the resampler alone, not libjpeg versus ImageSharp.
        RocketAsPilDecodesIt = Path.Combine(_folder, "rocket-pil.png");

        Cases =
        [
            new("chelsea landscape, crop, bilinear", Repository.Sample("chelsea.png"), ResizeMode.Crop, ImageNet),
            new("chelsea portrait, crop, bilinear", portrait, ResizeMode.Crop, ImageNet),
            new("coffee, crop, bicubic", Repository.Sample("coffee.png"), ResizeMode.Crop, ImageNet with { Resampler = InputPreprocessing.Bicubic }),
            new("coffee, crop 224×288 of 256, bilinear", Repository.Sample("coffee.png"), ResizeMode.Crop, ImageNet with { Width = 288 }),
            new("astronaut, stretch, bilinear", Repository.Sample("astronaut.png"), ResizeMode.Stretch, ImageNet),
            new("chelsea, stretch to 256×192, bicubic", Repository.Sample("chelsea.png"), ResizeMode.Stretch, ImageNet with { Height = 192, Width = 256, Resampler = InputPreprocessing.Bicubic }),
            new("chelsea, crop 224 of 200 (padded), bilinear", Repository.Sample("chelsea.png"), ResizeMode.Crop, ImageNet with { ResizeSize = 200 }),
            new("rocket (PIL-decoded PNG), crop, bilinear", RocketAsPilDecodesIt, ResizeMode.Crop, ImageNet),
            new("rocket.jpg, crop, bilinear", Repository.Sample("rocket.jpg"), ResizeMode.Crop, ImageNet),
        ];

        var jobs = new List<Dictionary<string, object>>
        {
            new() { ["job"] = "png", ["image"] = Repository.Sample("rocket.jpg"), ["out"] = RocketAsPilDecodesIt },
        };
        foreach (var (testCase, index) in Cases.Select((c, i) => (c, i)))
        {
            var p = testCase.Preprocessing;
            jobs.Add(new()
            {
                ["job"] = "tensor",
                ["image"] = testCase.Image,
                ["out"] = OutputPath(index),
                ["mode"] = testCase.Mode == ResizeMode.Crop ? "crop" : "stretch",
                ["resize"] = p.ResizeSize,
                ["height"] = p.Height,
                ["width"] = p.Width,
                ["interpolation"] = p.Resampler is BicubicResampler ? "bicubic" : "bilinear",
                ["mean"] = p.Mean,
                ["std"] = p.Std,
            });
        }
        var jobsFile = Path.Combine(_folder, "jobs.json");
        File.WriteAllText(jobsFile, JsonSerializer.Serialize(jobs));
        Programs.Run(Programs.Python, [RepositoryFolder.PathOf("tests", "python", "torchvision_preprocess.py"), jobsFile]).Expect();

        foreach (var (testCase, index) in Cases.Select((c, i) => (c, i)))
        {
            var bytes = File.ReadAllBytes(OutputPath(index));
            var values = new float[bytes.Length / sizeof(float)];
            Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
            _tensors[testCase.Name] = values;
        }
    }

    public IReadOnlyList<TorchvisionCase> Cases { get; }

    public string RocketAsPilDecodesIt { get; }

    public TorchvisionCase Case(string name) => Cases.Single(c => c.Name == name);

    public float[] Tensor(string name) => _tensors[name];

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    string OutputPath(int index) => Path.Combine(_folder, $"case{index}.f32");
}
