using System.Globalization;
using System.Text.Json;
using CamService.Cli.Explain;
using CamService.Imaging.Animation;
using CamService.Inference.Faithfulness;
using CamService.Inference.Methods;
using CamService.Onnx.CamReady;
using CamService.Testing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Cli.Tests;

/// <summary>camservice explain: images and folders in; overlays, grids and summaries out; failures and usage errors.</summary>
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

    [Fact]
    public void Metrics_ScoreEveryMap_InTheSummaryAndItsCsv()
    {
        using var directory = new TemporaryDirectory();
        var photos = TwoPhotos(directory, 48, 32);
        var models = Folder(directory, "models");
        TestModels.WriteCamReady(models, "small", 16);
        TestModels.WriteCamReady(models, "large", 32);
        var output = directory.File("out");

        var (code, log) = Programs.Cli("explain", photos, "--models", models, "--method", "gradcam,eigencam", "--target", "top1,1",
            "--out", output, "--metrics", "--metric-steps", "4");

        Assert.True(code == 0, log);
        var explanations = Explanations(output);
        Assert.Equal(2 * 2 * 2 * 2, explanations.Count);
        foreach (var e in explanations)
        {
            var m = Assert.IsType<FaithfulnessScores>(e.Metrics);
            Assert.InRange(m.AverageDrop!.Value, 0, 100);
            Assert.NotNull(m.Increase);
            Assert.InRange(m.DeletionAuc!.Value, 0, 1);
            Assert.InRange(m.InsertionAuc!.Value, 0, 1);
            Assert.Equal(5, m.DeletionCurve!.Length);
            Assert.Equal(5, m.InsertionCurve!.Length);
            // The deletion curve starts at the image itself: the target's probability.
            Assert.Equal(e.TargetProbability, m.DeletionCurve[0], 1e-4f);
            Assert.Equal(1 + 2 * 4, m.Forwards);
            Assert.True(m.Ms >= 0);
        }
        var csv = Csv(File.ReadAllText(Path.Combine(output, "summary.csv")));
        var header = csv[0];
        for (var i = 0; i < explanations.Count; i++)
        {
            var row = header.Zip(csv[i + 1]).ToDictionary(p => p.First, p => p.Second);
            var m = explanations[i].Metrics!;
            Assert.Equal(m.AverageDrop, double.Parse(row["average_drop"], CultureInfo.InvariantCulture));
            Assert.Equal(m.Increase == true ? "true" : "false", row["increase"]);
            Assert.Equal(m.DeletionAuc, double.Parse(row["deletion_auc"], CultureInfo.InvariantCulture));
            Assert.Equal(m.InsertionAuc, double.Parse(row["insertion_auc"], CultureInfo.InvariantCulture));
            Assert.Equal(m.Forwards, int.Parse(row["metrics_forwards"], CultureInfo.InvariantCulture));
            Assert.Equal(m.Ms, double.Parse(row["metrics_ms"], CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public void Metrics_ListedAfterEquals_ScoreOnlyThose_AndWithoutThemTheColumnsAreEmpty()
    {
        using var directory = new TemporaryDirectory();
        var image = directory.File("photo.png");
        File.WriteAllBytes(image, TestImages.RedTopLeftPng());
        var model = TestModels.WriteCamReady(directory.Path, "colour", 16);

        var (code, log) = Programs.Cli("explain", image, "--models", model, "--out", directory.File("drop"), "--metrics=drop");
        Assert.True(code == 0, log);
        var drop = Assert.Single(Explanations(directory.File("drop"))).Metrics!;
        Assert.NotNull(drop.AverageDrop);
        Assert.Null(drop.DeletionAuc);
        Assert.Null(drop.InsertionCurve);
        Assert.Equal(1, drop.Forwards);

        (code, log) = Programs.Cli("explain", image, "--models", model, "--out", directory.File("none"));
        Assert.True(code == 0, log);
        Assert.Null(Assert.Single(Explanations(directory.File("none"))).Metrics);
        var csv = Csv(File.ReadAllText(Path.Combine(directory.File("none"), "summary.csv")));
        var row = csv[0].Zip(csv[1]).ToDictionary(p => p.First, p => p.Second);
        Assert.All(new[] { "average_drop", "increase", "deletion_auc", "insertion_auc", "metrics_forwards", "metrics_ms" }, c => Assert.Equal("", row[c]));
    }

    [Fact]
    public void Agreement_ComparesTheModelsOfEachImageMethodAndTarget_InTheSummaryTheCsvAndPictures()
    {
        using var directory = new TemporaryDirectory();
        var photos = TwoPhotos(directory, 48, 32);
        var models = Folder(directory, "models");
        TestModels.WriteCamReady(models, "m16", 16);
        TestModels.WriteCamReady(models, "m24", 24);
        TestModels.WriteCamReady(models, "m32", 32, weights: WeightsKind.Random);
        var output = directory.File("out");

        var (code, log) = Programs.Cli("explain", photos, "--models", models, "--method", "gradcam,eigencam", "--target", "top1,0",
            "--out", output, "--resize", "crop", "--batch", "2", "--agreement", "--agreement-top-percent", "30");

        Assert.True(code == 0, log);
        var agreements = Summary.FromJson(File.ReadAllText(Path.Combine(output, "summary.json"))).Agreements!;
        string[] names = ["m16", "m24", "m32"];
        Assert.Equal(
            from image in new[] { "a", "b" } from method in new[] { "gradcam", "eigencam" } from target in new[] { "top1", "0" } select (image, method, target),
            agreements.Select(a => (a.Image, a.Method, a.Target)));
        var csv = Csv(File.ReadAllText(Path.Combine(output, "agreement.csv")));
        Assert.Equal(["image", "method", "target", "model_a", "model_b", "spearman", "top_percent_iou"], csv[0]);
        Assert.Equal(agreements.Count * 3 + 1, csv.Count);
        var rows = csv.Skip(1).ToDictionary(r => (r[0], r[1], r[2], r[3], r[4]), r => (Spearman: r[5], Iou: r[6]));
        foreach (var a in agreements)
        {
            Assert.Equal(names, a.Models);
            Assert.Equal(30, a.TopPercent);
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal(1, a.Spearman[i][i]);
                Assert.Equal(1, a.TopPercentIou[i][i]);
                for (var j = 0; j < 3; j++)
                {
                    Assert.Equal(a.Spearman[i][j], a.Spearman[j][i]);
                    Assert.Equal(a.TopPercentIou[i][j], a.TopPercentIou[j][i]);
                    Assert.InRange(a.Spearman[i][j], -1, 1);
                    Assert.InRange(a.TopPercentIou[i][j], 0, 1);
                    if (i < j)
                    {
                        var row = rows[(a.Image, a.Method, a.Target, names[i], names[j])];
                        Assert.Equal(a.Spearman[i][j], double.Parse(row.Spearman, CultureInfo.InvariantCulture));
                        Assert.Equal(a.TopPercentIou[i][j], double.Parse(row.Iou, CultureInfo.InvariantCulture));
                    }
                }
            }
            // At the overlays' size, in a folder of the image's own, named as the overlays are.
            var size = a.Image == "a" ? (32, 32) : (48, 32);
            Assert.Equal($"agreement/{a.Image}/consensus.{a.Method}.{a.Target}.png", a.Consensus);
            Assert.Equal($"agreement/{a.Image}/disagreement.{a.Method}.{a.Target}.png", a.Disagreement);
            foreach (var picture in new[] { a.Consensus, a.Disagreement })
            {
                var info = Image.Identify(Path.Combine(output, picture));
                Assert.Equal(size, (info.Width, info.Height));
            }
        }
        // The same maps compared the same way give the same numbers: the first model against itself is all ones.
        var (again, againLog) = Programs.Cli("explain", Path.Combine(photos, "a.png"), "--models", $"{models}/m16.onnx,{Copy(models, "m16", "twin")}",
            "--method", "gradcam", "--out", directory.File("twins"), "--agreement");
        Assert.True(again == 0, againLog);
        var twins = Assert.Single(Summary.FromJson(File.ReadAllText(Path.Combine(directory.File("twins"), "summary.json"))).Agreements!);
        Assert.Equal([[1.0, 1.0], [1.0, 1.0]], twins.Spearman);
        Assert.Equal([[1.0, 1.0], [1.0, 1.0]], twins.TopPercentIou);
    }

    [Fact]
    public void Gif_OneAnimationPerImage_AFramePerModelMethodAndTarget_AsTheServiceDrawsThem()
    {
        using var directory = new TemporaryDirectory();
        var photos = TwoPhotos(directory, 96, 64);
        var models = Folder(directory, "models");
        TestModels.WriteCamReady(models, "small", 16);
        TestModels.WriteCamReady(models, "untrained", 32, weights: WeightsKind.Random);
        var output = directory.File("out");

        // Batches of one: each caption's latency is then the summary's inferenceMs.
        var (code, log) = Programs.Cli("explain", photos, "--models", models, "--method", "gradcam,eigencam", "--target", "top1,green",
            "--out", output, "--batch", "1", "--max-size", "48", "--gif", "--gif-size", "48", "--gif-frame-ms", "250");

        Assert.True(code == 0, log);
        var summary = Summary.FromJson(File.ReadAllText(Path.Combine(output, "summary.json")));
        var modelsByName = summary.Models.ToDictionary(m => m.Name);
        foreach (var (image, width, height) in new[] { ("a", 32, 32), ("b", 48, 32) })
        {
            using var gif = Image.Load<Rgb24>(Path.Combine(output, "animations", $"{image}.gif"));
            var frames = summary.Explanations.Where(e => e.Image == image).ToList();
            Assert.Equal(2 * 2 * 2, gif.Frames.Count);
            Assert.Equal(AnimationFrame.Size(width, height, FrameCaption.LineCount), gif.Size());
            Assert.Equal(0, gif.Metadata.GetGifMetadata().RepeatCount);
            // Models outer, then methods, then targets: the service's order, and the summary's for one image.
            Assert.Equal(
                from model in new[] { "small", "untrained" } from method in new[] { "gradcam", "eigencam" } from target in new[] { "top1", "green" }
                select (model, method, target),
                frames.Select(e => (e.Model, e.Method, e.Target)));
            for (var i = 0; i < frames.Count; i++)
            {
                var (e, frame) = (frames[i], gif.Frames[i]);
                Assert.Equal(25, frame.Metadata.GetGifMetadata().FrameDelay);
                var model = modelsByName[e.Model];
                var lines = new FrameCaption(e.Model, e.Untrained, e.Method, e.TargetLabel, e.TargetProbability, model.Parameters, model.GigaMacs,
                    e.Timings.InferenceMs).Lines();
                Assert.Equal(e.Model == "untrained", lines[0].StartsWith("UNTRAINED untrained - ", StringComparison.Ordinal));
                using var caption = new Image<Rgb24>(width, frame.Height - height);
                Caption.Draw(caption, 0, lines, Caption.Scale(width));
                var captionDifference = FrameDifference.Of(caption, frame, 0, height, caption.Width, caption.Height);
                Assert.True(captionDifference.Within(24, 2), $"{e.Model} {e.Method} {e.Target} caption: {captionDifference}");
                // Above it the overlay, as the overlay file draws it at the same size (GIF colours are a shared palette).
                using var overlay = Image.Load<Rgb24>(Path.Combine(output, e.Overlay));
                var overlayDifference = FrameDifference.Of(overlay, frame, 0, 0, width, height);
                Assert.True(overlayDifference.Within(48, 6), $"{e.Model} {e.Method} {e.Target} overlay: {overlayDifference}");
            }
        }
    }

    /// <summary>photos/a.png, 32×32 with a red square at its top left, and b.png, <paramref name="width"/>×<paramref name="height"/> with a small one right of centre.</summary>
    static string TwoPhotos(TemporaryDirectory directory, int width, int height)
    {
        var photos = Folder(directory, "photos");
        WritePng(photos, "a.png", TestImages.RedPatch(32, 32, new Rectangle(0, 0, 20, 20)));
        WritePng(photos, "b.png", TestImages.RedPatch(width, height, new Rectangle(width * 5 / 8, height * 5 / 16, width / 6, height / 4)));
        return photos;
    }

    static string Copy(string folder, string model, string name)
    {
        var copy = Path.Combine(folder, "copies", name + ".onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        File.Copy(Path.Combine(folder, model + ".onnx"), copy);
        return copy;
    }

    static List<ExplanationSummary> Explanations(string output) =>
        Summary.FromJson(File.ReadAllText(Path.Combine(output, "summary.json"))).Explanations.ToList();

    static int MaxDifference(Image<Rgb24> a, Image<Rgb24> b)
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

    static (int Width, int Height) Dimensions(string path)
    {
        var info = Image.Identify(path);
        return (info.Width, info.Height);
    }

    static string Folder(TemporaryDirectory directory, string name) => Directory.CreateDirectory(directory.File(name)).FullName;

    static void WritePng(string folder, string name, Image<Rgb24> image)
    {
        using (image)
        {
            File.WriteAllBytes(Path.Combine(folder, name), TestImages.Png(image));
        }
    }

    /// <summary>RFC 4180: fields split at commas outside quotes, "" inside quotes is one quote, rows end with CRLF.</summary>
    static List<string[]> Csv(string text)
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
