using System.Globalization;
using CamService.Cli.Explain;
using CamService.Inference.Faithfulness;
using CamService.Onnx.CamReady;
using CamService.Testing;
using SixLabors.ImageSharp;
using static CamService.Cli.Tests.ExplainFiles;

namespace CamService.Cli.Tests;

/// <summary>camservice explain --metrics and --agreement: how faithful each map is, and how far the models agree, in the summary, its CSV and pictures.</summary>
public sealed class ExplainScoresTests
{
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
}
