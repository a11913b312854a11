using CamService.Cli.Explain;
using CamService.Testing;
using SixLabors.ImageSharp;
using static CamService.Cli.Tests.ExplainFiles;

namespace CamService.Cli.Tests;

/// <summary>camservice explain when things go wrong: unreadable images, models that fail, and usage errors.</summary>
public sealed class ExplainFailuresTests
{
    [Fact]
    public void CorruptImage_IsReportedAndSkipped_AndTheExitCodeCountsIt()
    {
        using var directory = new TemporaryDirectory();
        var photos = Folder(directory, "photos");
        WritePng(photos, "good.png", TestImages.RedPatch(32, 32, new Rectangle(0, 0, 8, 8)));
        var png = TestImages.RedTopLeftPng();
        File.WriteAllBytes(Path.Combine(photos, "truncated.png"), png[..(png.Length / 2)]);
        File.WriteAllText(Path.Combine(photos, "text.jpg"), "a text file with a photo's name");
        var model = TestModels.WriteCamReady(directory.Path, "colour", 16);
        var output = directory.File("out");

        var (code, log) = Programs.Cli("explain", photos, "--models", model, "--out", output, "--grid-cell", "32", "--format", "jpeg", "--max-size", "16");

        Assert.True(code == 1, log);
        Assert.Contains("skipped " + Path.Combine(photos, "truncated.png") + ": The PNG image cannot be decoded", log);
        Assert.Contains("skipped " + Path.Combine(photos, "text.jpg") + ": Unsupported image format", log);
        Assert.Contains("error: 2 of 3 images could not be explained", log);
        // A JPEG at most 16 px on its long side.
        var overlay = Image.Identify(Path.Combine(output, "overlays", "good", "colour.gradcam.top1.jpg"));
        Assert.Equal((16, 16, "JPEG"), (overlay.Width, overlay.Height, Image.DetectFormat(Path.Combine(output, "overlays", "good", "colour.gradcam.top1.jpg")).Name));
        Assert.False(Directory.Exists(Path.Combine(output, "overlays", "truncated")));
        // The grid keeps a row, empty, for each image that failed: rows are the inputs in order.
        var grid = Image.Identify(Path.Combine(output, "grids", "gradcam.top1.png"));
        Assert.Equal(3 * 32 + 2 * 2, grid.Height);
        var summary = Summary.FromJson(File.ReadAllText(Path.Combine(output, "summary.json")));
        Assert.Equal(["text", "truncated"], summary.Failures.Select(f => f.Image).Order());
        Assert.Single(summary.Explanations);
        Assert.Null(summary.Images.Single(i => i.Id == "good").Error);
    }

    [Fact]
    public void NonFiniteModelOutput_SkipsThatModelsMaps_WhileTheOtherModelExplainsEveryImage()
    {
        using var directory = new TemporaryDirectory();
        var photos = Folder(directory, "photos");
        WritePng(photos, "a.png", TestImages.RedPatch(32, 32, new Rectangle(0, 0, 8, 8)));
        WritePng(photos, "b.png", TestImages.RedPatch(32, 32, new Rectangle(8, 8, 8, 8)));
        var models = Folder(directory, "models");
        TestModels.WriteCamReady(models, "fine", 16);
        TestModels.WriteCamReady(models, "nan", 16, logitScale: float.NaN);
        var output = directory.File("out");

        var (code, log) = Programs.Cli("explain", photos, "--models", models, "--out", output, "--batch", "2");

        Assert.True(code == 1, log);
        Assert.Contains($"skipped {Path.Combine(photos, "a.png")} with nan: Model 'nan' produced NaN in its logits", log);
        Assert.Contains("error: 2 of 2 images could not be explained", log);
        var summary = Summary.FromJson(File.ReadAllText(Path.Combine(output, "summary.json")));
        Assert.Equal([("a", "nan"), ("b", "nan")], summary.Failures.Select(f => (f.Image, f.Model)));
        Assert.Equal([("a", "fine"), ("b", "fine")], summary.Explanations.Select(e => (e.Image, e.Model)));
    }

    [Theory]
    [InlineData("no --out", "error: --out names the folder to write to.")]
    [InlineData("--method nosuchcam", "error: Unknown method 'nosuchcam'. Methods: ")]
    [InlineData("--method gradcam,gradcam", "error: --method lists a method twice.")]
    [InlineData("--target 7", "error: Class 7 is out of range for model 'colour' (4 classes).")]
    [InlineData("--target 0,0", "error: --target lists '0' twice")]
    [InlineData("--batch 0", "error: --batch is a whole number from 1 to 1024.")]
    [InlineData("--colormap purple", "error: --colormap must be one of jet, turbo, viridis, inferno.")]
    [InlineData("--resize squash", "error: --resize must be one of stretch, crop.")]
    [InlineData("--alpha 2", "error: --alpha is from 0 to 1.")]
    [InlineData("--colour red", "error: Unknown option(s): --colour.")]
    [InlineData("missing.png", "error: No such file or folder: missing.png.")]
    [InlineData("--agreement", "error: --agreement compares models: name two or more with --models.")]
    [InlineData("--agreement-top-percent 0", "error: --agreement-top-percent is a number from 1 to 99 (percent of the pixels).")]
    [InlineData("--metrics=drop,area", "error: --metrics lists 'area', not a metric; it takes any of drop, deletion, insertion, or all.")]
    [InlineData("--metrics=", "error: --metrics lists no metric;")]
    [InlineData("--metric-steps 0", "error: --metric-steps is a whole number from 1 to 100.")]
    [InlineData("--gif-frame-ms 5", "error: --gif-frame-ms is a whole number from 10 to 655350.")]
    [InlineData("--gif-size 8", "error: --gif-size is a whole number from 16 to 4096.")]
    public void UsageErrors_ExitTwoWithTheReason(string mistake, string message)
    {
        using var directory = new TemporaryDirectory();
        var image = directory.File("photo.png");
        File.WriteAllBytes(image, TestImages.RedTopLeftPng());
        var model = TestModels.WriteCamReady(directory.Path, "colour", 16);
        var arguments = new List<string> { "explain", image, "--models", model };
        if (mistake != "no --out")
        {
            arguments.AddRange(["--out", directory.File("out")]);
            arguments.AddRange(mistake.Split(' '));
        }

        var (code, log) = Programs.Cli([.. arguments]);

        Assert.True(code == 2, log);
        Assert.Contains(message, log);
        Assert.Contains("Usage: camservice explain <image|folder>", log);
    }

    [Fact]
    public void BrokenModel_FailsBeforeAnyImage_NamingTheFile()
    {
        using var directory = new TemporaryDirectory();
        var image = directory.File("photo.png");
        File.WriteAllBytes(image, TestImages.RedTopLeftPng());
        var model = TestModels.WriteBroken(directory.Path, "broken");

        var (code, log) = Programs.Cli("explain", image, "--models", model, "--out", directory.File("out"));

        Assert.True(code == 1, log);
        Assert.Contains($"error: Model {model}: ", log);
        Assert.False(Directory.Exists(directory.File("out/overlays")));
    }

    [Fact]
    public void Explain_IsListedInTheUsage()
    {
        var (code, log) = Programs.Cli("--help");

        Assert.True(code == 0, log);
        Assert.Contains("  explain <image|folder> ... --out DIR", log);
    }
}
