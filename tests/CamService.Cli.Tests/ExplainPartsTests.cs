using CamService.Cli;
using CamService.Cli.Commands;
using CamService.Cli.Explain;
using CamService.Inference.Explanations;
using CamService.Inference.Methods;
using CamService.Testing;

namespace CamService.Cli.Tests;

/// <summary>The pieces of camservice explain that need no model: finding inputs, parsing lists, progress.</summary>
public sealed class ExplainPartsTests
{
    [Theory]
    [InlineData(new string[0], false)]
    [InlineData(new[] { "--gif" }, true)]
    [InlineData(new[] { "--gif=true" }, true)]
    [InlineData(new[] { "--gif=FALSE" }, false)]
    [InlineData(new[] { "--gif=0" }, false)]
    [InlineData(new[] { "--gif=off", "x.png" }, false)]
    public void Flag_AloneIsOn_AndTakesAnExplicitTrueOrFalse(string[] args, bool expected)
    {
        var arguments = new Arguments(args, new HashSet<string> { "gif" });
        Assert.Equal(expected, arguments.Flag("gif"));
        arguments.RejectUnknown(maxPositional: 1);
    }

    [Fact]
    public void Flag_WithAnotherValue_IsAUsageError()
    {
        var error = Assert.Throws<UsageException>(() => new Arguments(["--agreement=maybe"], new HashSet<string> { "agreement" }).Flag("agreement"));
        Assert.Contains("--agreement=true or --agreement=false, not 'maybe'", error.Message);
    }

    [Fact]
    public void FindImages_AFolderGivesItsImagesSortedAndNotItsSubfolders_UnlessRecursive()
    {
        using var directory = new TemporaryDirectory();
        var photos = Directory.CreateDirectory(directory.File("photos")).FullName;
        foreach (var name in new[] { "b.JPG", "a.png", "c.webp", "d.jpeg", "notes.txt", ".hidden.png", "sub/e.png", "out/overlays/a/m.gradcam.top1.png", "out/grids/gradcam.top1.png", "out/kept.png" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(photos, name))!);
            File.WriteAllText(Path.Combine(photos, name), "");
        }
        var output = Path.Combine(photos, "out");

        var flat = Inputs.FindImages([photos], recursive: false, output);
        var deep = Inputs.FindImages([photos], recursive: true, output);
        var intoItself = Inputs.FindImages([photos], recursive: true, photos);

        Assert.Equal(["a", "b", "c", "d"], flat.Select(i => i.Id));
        // A run's own pictures are never read: a second run does not explain the first one's overlays.
        Assert.Equal(["a", "b", "c", "d", "out/kept", "sub/e"], deep.Select(i => i.Id));
        Assert.Equal(["a", "b", "c", "d", "out/grids/gradcam.top1", "out/kept", "out/overlays/a/m.gradcam.top1", "sub/e"], intoItself.Select(i => i.Id));
        Assert.Equal(Path.Combine(photos, "sub", "e.png"), deep[^1].Path);
    }

    [Fact]
    public void FindImages_FilesAreTakenAsNamed_AndSharedNamesGetANumber()
    {
        using var directory = new TemporaryDirectory();
        foreach (var name in new[] { "x/cat.png", "y/cat.jpg", "y/photo.gif" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(directory.File(name))!);
            File.WriteAllText(directory.File(name), "");
        }

        var images = Inputs.FindImages([directory.File("x"), directory.File("y/cat.jpg"), directory.File("y/photo.gif")], recursive: false, directory.File("out"));

        // A file named on the command line is tried whatever its extension; the decoder says whether it is an image.
        Assert.Equal(["cat", "cat-2", "photo"], images.Select(i => i.Id));
    }

    [Fact]
    public void FindModels_TakesFilesAndFoldersOfOnnxFiles_AndRefusesTwoOfOneName()
    {
        using var directory = new TemporaryDirectory();
        foreach (var name in new[] { "models/b.onnx", "models/a.onnx", "models/readme.md", "models/.cache/c.onnx", "other/a.onnx" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(directory.File(name))!);
            File.WriteAllText(directory.File(name), "");
        }

        var folder = Inputs.FindModels(directory.File("models"));
        var listed = Inputs.FindModels($"{directory.File("models/b.onnx")}, {directory.File("other")}");
        var clash = Assert.Throws<UsageException>(() => Inputs.FindModels($"{directory.File("models")},{directory.File("other/a.onnx")}"));

        Assert.Equal([directory.File("models/a.onnx"), directory.File("models/b.onnx")], folder);
        Assert.Equal(["b", "a"], listed.Select(Inputs.ModelName));
        Assert.Contains("Two models are named 'a'", clash.Message);
    }

    [Fact]
    public void TargetList_MixesTopOneIndicesAndLabels_WithFileSafeKeys()
    {
        var targets = TargetChoice.ParseList("top1, 281,tiger cat,n/a");

        Assert.Equal(["top1", "281", "tiger_cat", "n_a"], targets.Select(t => t.Key));
        Assert.Equal([ExplanationTarget.TopOne, new(281, null), new(null, "tiger cat"), new(null, "n/a")], targets.Select(t => t.Target));
        Assert.Equal(["top1"], TargetChoice.ParseList(null).Select(t => t.Key));
        Assert.Throws<UsageException>(() => TargetChoice.ParseList("tiger cat,tiger_cat"));
    }

    [Fact]
    public void Methods_AllIsEveryRegisteredMethod_AndNoneIsGradCam()
    {
        Assert.Equal(CamMethods.Default.Names, ExplainCommand.ParseMethods("all", CamMethods.Default).Select(m => m.Name));
        Assert.Equal(["gradcam"], ExplainCommand.ParseMethods(null, CamMethods.Default).Select(m => m.Name));
        Assert.Equal(CamMethods.Default.Names, ExplainCommand.ParseMethods(string.Join(",", CamMethods.Default.Names), CamMethods.Default).Select(m => m.Name));
    }

    [Fact]
    public void Progress_WithoutATerminal_WritesAPlainLineAtMostEveryInterval_AndOneAtTheEnd()
    {
        var writer = new StringWriter();
        var now = TimeSpan.Zero;
        var progress = new Progress(writer, terminal: false, total: 10, () => now, TimeSpan.FromSeconds(5));

        now = TimeSpan.FromSeconds(1);
        progress.Advance(2);
        now = TimeSpan.FromSeconds(3);
        progress.Advance(2);
        progress.Note("skipped x.png: broken");
        now = TimeSpan.FromSeconds(6);
        progress.Advance(4);
        now = TimeSpan.FromSeconds(7);
        progress.Advance(2);
        progress.Finish();

        Assert.Equal(string.Join(Environment.NewLine,
            "explain: 2/10 image×model (20 %), 1.0 s, about 4 s left",
            "skipped x.png: broken",
            "explain: 8/10 image×model (80 %), 6.0 s, about 2 s left",
            "explain: 10/10 image×model (100 %), 7.0 s",
            ""), writer.ToString());
        Assert.DoesNotContain("\r", writer.ToString());
    }

    [Fact]
    public void Progress_OnATerminal_RedrawsOneBar_AndClearsItForAMessage()
    {
        var writer = new StringWriter();
        var now = TimeSpan.FromSeconds(2);
        var progress = new Progress(writer, terminal: true, total: 4, () => now, TimeSpan.FromSeconds(5));

        progress.Advance(1);
        progress.Note("skipped y.png: broken");
        progress.Advance(3);
        progress.Finish();

        var first = "[########......................] 1/4 image×model (25 %), 2.0 s, about 6 s left";
        var last = "[##############################] 4/4 image×model (100 %), 2.0 s";
        Assert.Equal("\r" + first + "\r" + new string(' ', first.Length) + "\r" + "skipped y.png: broken" + Environment.NewLine
                     + "\r" + last + Environment.NewLine, writer.ToString());
    }
}
