using System.Globalization;
using System.Text.Json;
using CamService.Cli.Explain;
using CamService.Inference.Methods;
using CamService.Onnx.CamReady;
using CamService.Testing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static CamService.Cli.Tests.ExplainFiles;

namespace CamService.Cli.Tests;

/// <summary>camservice explain: images and folders in, batched or not; overlays, grids and summaries out; CNNs and transformers.</summary>
public sealed class ExplainCommandTests
{
    [Fact]
    public void Folder_SeveralModelsMethodsAndTargets_WritesEveryOverlayTheGridsAndTheSummaries()
    {
        using var directory = new TemporaryDirectory();
        var photos = Folder(directory, "photos");
        WritePng(photos, "a.png", TestImages.RedPatch(32, 32, new Rectangle(0, 0, 30, 30)));
        WritePng(photos, "b.png", TestImages.RedPatch(48, 32, new Rectangle(30, 10, 8, 8)));
        WritePng(photos, "c.png", TestImages.RedPatch(32, 48, new Rectangle(4, 30, 20, 12)));
        File.WriteAllText(Path.Combine(photos, "notes.txt"), "not an image, and not read: a folder's images are found by extension");
        var models = Folder(directory, "models");
        TestModels.WriteCamReady(models, "small", 16);
        TestModels.WriteCamReady(models, "untrained", 32, weights: WeightsKind.Random);
        var output = directory.File("out");

        var (code, log) = Programs.Cli("explain", photos, "--models", models, "--method", "all", "--target", "top1,0,green",
            "--out", output, "--topk", "3", "--grid-cell", "40", "--batch", "2");

        Assert.True(code == 0, log);
        var methods = CamMethods.Default.Names.ToList();
        string[] images = ["a", "b", "c"], modelNames = ["small", "untrained"], targets = ["top1", "0", "green"];
        foreach (var (image, size) in images.Zip(new[] { (32, 32), (48, 32), (32, 48) }))
        {
            foreach (var model in modelNames)
            {
                foreach (var method in methods)
                {
                    foreach (var target in targets)
                    {
                        var info = Image.Identify(Path.Combine(output, "overlays", image, $"{model}.{method}.{target}.png"));
                        Assert.Equal(size, (info.Width, info.Height));
                    }
                }
            }
        }
        foreach (var method in methods)
        {
            foreach (var target in targets)
            {
                // Three rows of images, two columns of models, 40 px cells 2 px apart.
                var grid = Image.Identify(Path.Combine(output, "grids", $"{method}.{target}.png"));
                Assert.Equal((2 * 40 + 2, 3 * 40 + 2 * 2), (grid.Width, grid.Height));
            }
        }

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        var root = summary.RootElement;
        Assert.Equal(modelNames, root.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("name").GetString()));
        Assert.Equal([false, true], root.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("untrained").GetBoolean()));
        Assert.Equal(methods.Count * targets.Length, root.GetProperty("grids").GetArrayLength());
        Assert.Equal(images, root.GetProperty("grids")[0].GetProperty("rows").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(0, root.GetProperty("failures").GetArrayLength());
        var explanations = root.GetProperty("explanations").EnumerateArray().ToList();
        Assert.Equal(images.Length * modelNames.Length * methods.Count * targets.Length, explanations.Count);
        foreach (var e in explanations)
        {
            var predictions = e.GetProperty("predictions");
            Assert.Equal(3, predictions.GetArrayLength());
            var (index, label) = (e.GetProperty("targetIndex").GetInt32(), e.GetProperty("targetLabel").GetString());
            switch (e.GetProperty("target").GetString())
            {
                case "top1":
                    Assert.Equal(predictions[0].GetProperty("index").GetInt32(), index);
                    break;
                case "0":
                    Assert.Equal((0, "red"), (index, label));
                    break;
                default:
                    Assert.Equal((1, "green"), (index, label));
                    break;
            }
            Assert.Equal(TestModels.Labels[index], label);
            Assert.Equal(e.GetProperty("model").GetString() == "untrained", e.GetProperty("untrained").GetBoolean());
            Assert.True(File.Exists(Path.Combine(output, e.GetProperty("overlay").GetString()!)));
            var timings = e.GetProperty("timings");
            Assert.All(new[] { "decodeMs", "preprocessMs", "inferenceMs", "camMs", "renderMs" }, t => Assert.True(timings.GetProperty(t).GetDouble() >= 0, t));
            // Batches of two: a, b, then c alone.
            Assert.Equal(e.GetProperty("image").GetString() == "c" ? 1 : 2, timings.GetProperty("batchImages").GetInt32());
        }
        // The red patch covers most of a: its red score and probability are the highest of its classes.
        var redOnA = explanations.First(e => e.GetProperty("image").GetString() == "a" && e.GetProperty("target").GetString() == "0");
        Assert.Equal(0, redOnA.GetProperty("predictions")[0].GetProperty("index").GetInt32());

        var csv = Csv(File.ReadAllText(Path.Combine(output, "summary.csv")));
        Assert.Equal(explanations.Count + 1, csv.Count);
        var header = csv[0];
        Assert.Equal(["image", "model", "method", "target", "target_index", "target_label", "target_score", "target_probability", "untrained"], header.Take(9));
        Assert.Equal("pred3_probability", header[^1]);
        for (var i = 0; i < explanations.Count; i++)
        {
            var row = header.Zip(csv[i + 1]).ToDictionary(p => p.First, p => p.Second);
            var e = explanations[i];
            Assert.Equal(e.GetProperty("image").GetString(), row["image"]);
            Assert.Equal(e.GetProperty("method").GetString(), row["method"]);
            Assert.Equal(e.GetProperty("targetLabel").GetString(), row["target_label"]);
            Assert.Equal(e.GetProperty("targetScore").GetSingle(), float.Parse(row["target_score"], CultureInfo.InvariantCulture));
            Assert.Equal(e.GetProperty("predictions")[1].GetProperty("label").GetString(), row["pred2_label"]);
            Assert.Equal(e.GetProperty("timings").GetProperty("camMs").GetDouble(), double.Parse(row["cam_ms"], CultureInfo.InvariantCulture));
        }
        // Results on stdout: the count and each grid's legend.
        Assert.Contains($"{explanations.Count} overlays of 3 of 3 images", log);
        Assert.Contains("columns small, untrained", log);
    }

    [Fact]
    public void Batching_GivesTheSameMapsAsOneImageAtATime()
    {
        using var directory = new TemporaryDirectory();
        var photos = Folder(directory, "photos");
        for (var i = 0; i < 5; i++)
        {
            WritePng(photos, $"{i}.png", TestImages.RedPatch(40, 32, new Rectangle(i * 6, i * 4, 10, 12)));
        }
        var model = TestModels.WriteCamReady(directory.Path, "colour", 16);

        foreach (var batch in new[] { "1", "3" })
        {
            var (code, log) = Programs.Cli("explain", photos, "--models", model, "--target", "top1,0", "--out", directory.File($"batch{batch}"), "--batch", batch);
            Assert.True(code == 0, log);
        }

        var single = Explanations(directory.File("batch1"));
        var batched = Explanations(directory.File("batch3"));
        Assert.Equal(10, single.Count);
        Assert.Equal(single.Select(e => (e.Image, e.Target, e.TargetIndex)), batched.Select(e => (e.Image, e.Target, e.TargetIndex)));
        for (var i = 0; i < single.Count; i++)
        {
            Assert.Equal(single[i].TargetScore, batched[i].TargetScore, 5);
            Assert.Equal(1, single[i].Timings.BatchImages);
            Assert.Equal(single[i].Image is "3" or "4" ? 2 : 3, batched[i].Timings.BatchImages);
            using var one = Image.Load<Rgb24>(Path.Combine(directory.File("batch1"), single[i].Overlay));
            using var many = Image.Load<Rgb24>(Path.Combine(directory.File("batch3"), batched[i].Overlay));
            Assert.True(MaxDifference(one, many) <= 1, $"{single[i].Overlay} differs by {MaxDifference(one, many)}");
        }
    }

    [Fact]
    public void Recursive_ExplainsSubfolders_ButNeverTheOutputFolderInside()
    {
        using var directory = new TemporaryDirectory();
        var photos = Folder(directory, "photos");
        WritePng(photos, "a.png", TestImages.RedPatch(32, 32, new Rectangle(0, 0, 8, 8)));
        WritePng(Folder(directory, "photos/sub"), "b.png", TestImages.RedPatch(32, 32, new Rectangle(8, 8, 8, 8)));
        var output = Path.Combine(photos, "out");
        WritePng(Folder(directory, "photos/out/overlays/a"), "colour.gradcam.top1.png", TestImages.RedPatch(32, 32, new Rectangle(0, 0, 8, 8)));
        var model = TestModels.WriteCamReady(directory.Path, "colour", 16);

        var (flatCode, flatLog) = Programs.Cli("explain", photos, "--models", model, "--out", output);
        var (code, log) = Programs.Cli("explain", photos, "--models", model, "--out", output, "--recursive");

        Assert.True(flatCode == 0, flatLog);
        Assert.Contains("1 overlays of 1 of 1 images", flatLog);
        Assert.True(code == 0, log);
        Assert.Contains("2 overlays of 2 of 2 images", log);
        Assert.True(File.Exists(Path.Combine(output, "overlays", "sub", "b", "colour.gradcam.top1.png")));
        Assert.Equal(["a", "sub/b"], Summary.FromJson(File.ReadAllText(Path.Combine(output, "summary.json"))).Images.Select(i => i.Id));
    }

    /// <summary>Plain transformer exports (a ViT's token sequence, a Swin's token grid) beside a CNN, every method, with their agreement and GIF.</summary>
    [Fact]
    public void Transformers_PlainExports_ExplainedBesideACnn()
    {
        using var directory = new TemporaryDirectory();
        var photos = Folder(directory, "photos");
        WritePng(photos, "noise.png", TestImages.Noise(80, 64));
        var output = directory.File("out");
        var models = string.Join(",", TinyTransformers.PlainPath("vit"), TinyTransformers.PlainPath("swin"), TinyTransformers.PlainPath("convnext"));

        var (code, log) = Programs.Cli("explain", photos, "--models", models, "--method", "all", "--scorecam-channels", "4",
            "--agreement", "--gif", "--out", output);

        Assert.True(code == 0, log);
        foreach (var model in new[] { "vit", "swin", "convnext" })
        {
            foreach (var method in CamMethods.Default.Names)
            {
                Assert.Equal((80, 64), Dimensions(Path.Combine(output, "overlays", "noise", $"{model}.{method}.top1.png")));
            }
        }
        Assert.True(File.Exists(Path.Combine(output, "animations", "noise.gif")));
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        Assert.Empty(summary.RootElement.GetProperty("failures").EnumerateArray());
        Assert.Equal(CamMethods.Default.Names.Count(), summary.RootElement.GetProperty("agreements").GetArrayLength());
    }
}
