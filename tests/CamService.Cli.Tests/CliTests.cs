using CamService.Onnx.CamReady;
using CamService.Onnx.Model;
using CamService.Testing;

namespace CamService.Cli.Tests;

/// <summary>The camservice command line: exit codes and messages of prepare, verify, tune, benchmark and key.</summary>
public sealed class CliTests
{
    [Fact]
    public void PrepareThenVerify_CorrectModel_ExitsZero()
    {
        using var directory = new TemporaryDirectory();
        var (plain, _, _) = SmallClassifiers.SmallClassifier();
        OnnxModelFile.Save(plain, directory.File("plain.onnx"));

        var (prepareCode, prepareOutput) = Programs.Cli("prepare", directory.File("plain.onnx"), directory.File("cam.onnx"));
        Assert.True(prepareCode == 0, prepareOutput);
        Assert.Contains("CAM-ready model written", prepareOutput);

        var (verifyCode, verifyOutput) = Programs.Cli("verify", directory.File("cam.onnx"));
        Assert.True(verifyCode == 0, verifyOutput);
        Assert.Contains("PASS", verifyOutput);
    }

    [Fact]
    public void Verify_GradientsScaledByTenPercent_ExitsNonZero()
    {
        using var directory = new TemporaryDirectory();
        var (plain, _, _) = SmallClassifiers.SmallClassifier();
        var model = SmallClassifiers.ScaleGradients(new CamReadyBuilder().Prepare(plain).Model, 1.1f);
        OnnxModelFile.Save(model, directory.File("wrong.onnx"));

        var (code, output) = Programs.Cli("verify", directory.File("wrong.onnx"));

        // 3 is the verdict "gradients are wrong", unlike 1 (an error) or 2 (a usage mistake).
        Assert.True(code == 3, output);
        Assert.Contains("FAIL", output);
    }

    [Fact]
    public void Prepare_UnknownTargetLayer_PrintsAClearErrorAndExitsNonZero()
    {
        using var directory = new TemporaryDirectory();
        var (plain, _, _) = SmallClassifiers.SmallClassifier();
        OnnxModelFile.Save(plain, directory.File("plain.onnx"));

        var (code, output) = Programs.Cli("prepare", directory.File("plain.onnx"), directory.File("cam.onnx"), "--target-layer", "no_such_layer");

        Assert.True(code != 0, output);
        Assert.Contains("error: The model has no tensor named 'no_such_layer'.", output);
        Assert.False(File.Exists(directory.File("cam.onnx")));
    }

    [Fact]
    public void Prepare_TargetLayout_IsReadInAnyCase_AndAnUnknownOneIsAUsageMistake()
    {
        using var directory = new TemporaryDirectory();
        var (plain, _, _) = SmallClassifiers.SmallClassifier();
        OnnxModelFile.Save(plain, directory.File("plain.onnx"));

        var (wrongCode, wrongOutput) = Programs.Cli("prepare", directory.File("plain.onnx"), directory.File("cam.onnx"), "--target-layout", "CHW");
        var (code, output) = Programs.Cli("prepare", directory.File("plain.onnx"), directory.File("cam.onnx"), "--target-layout", "nchw");

        Assert.True(wrongCode == 2, wrongOutput);
        Assert.Contains("--target-layout is NCHW, NHWC or TOKENS.", wrongOutput);
        Assert.True(code == 0, output);
    }

    /// <summary>A token sequence's grid is inferred (ViT: 16 patches after the class token), or named, and a grid it cannot fill is refused.</summary>
    [Fact]
    public void Prepare_TokenSequence_GridInferredOrNamed()
    {
        using var directory = new TemporaryDirectory();
        var plain = TinyTransformers.PlainPath("vit");

        var (inferredCode, inferred) = Programs.Cli("prepare", plain, directory.File("inferred.onnx"));
        var (namedCode, named) = Programs.Cli("prepare", plain, directory.File("named.onnx"), "--grid", "2x8");
        var (tooBigCode, tooBig) = Programs.Cli("prepare", plain, directory.File("big.onnx"), "--grid", "5x5");
        var (wrongCode, wrong) = Programs.Cli("prepare", plain, directory.File("wrong.onnx"), "--grid", "four");

        Assert.True(inferredCode == 0, inferred);
        Assert.Contains("activations   [N, 32, 4, 4] (a 4×4 grid of tokens after 1 extra)", inferred);
        Assert.Contains("(token sequence of", inferred);
        Assert.True(namedCode == 0, named);
        Assert.Contains("activations   [N, 32, 2, 8] (a 2×8 grid of tokens after 1 extra)", named);
        Assert.True(tooBigCode == 1, tooBig);
        Assert.Contains("17 tokens do not fill a 5×5 grid", tooBig);
        Assert.True(wrongCode == 2, wrong);
        Assert.Contains("--grid is HxW", wrong);
    }

    [Fact]
    public void Tune_TimesEveryThreadSetting_AndNamesTheChoices()
    {
        using var directory = new TemporaryDirectory();
        var (plain, _, _) = SmallClassifiers.SmallClassifier();
        OnnxModelFile.Save(new CamReadyBuilder().Prepare(plain).Model, directory.File("cam.onnx"));

        var (code, output) = Programs.Cli("tune", directory.File("cam.onnx"), "--max-threads", "2", "--runs", "4");

        Assert.True(code == 0, output);
        Assert.Contains("(CAM-ready), batch 1", output);
        // One row per setting: 1 thread, 2 threads, 2 threads spinning.
        Assert.Matches(@"\n\s+1\s+no\s+[\d.]+\s+[\d.]+", output);
        Assert.Matches(@"\n\s+2\s+no\s+[\d.]+\s+[\d.]+", output);
        Assert.Matches(@"\n\s+2\s+yes\s+[\d.]+\s+[\d.]+", output);
        Assert.Matches(@"fastest: \d threads?(, spinning)?; under load: \d thread", output);
    }

    /// <summary>A folder with the small classifier as plain.onnx and made CAM-ready as cam.onnx.</summary>
    static TemporaryDirectory BenchmarkPair()
    {
        var directory = new TemporaryDirectory();
        var (plain, _, _) = SmallClassifiers.SmallClassifier();
        OnnxModelFile.Save(plain, directory.File("plain.onnx"));
        OnnxModelFile.Save(new CamReadyBuilder().Prepare(plain).Model, directory.File("cam.onnx"));
        return directory;
    }

    [Fact]
    public void Benchmark_ComparesEachAtItsFastestSetting_AndAsServed()
    {
        using var directory = BenchmarkPair();

        var (code, output) = Programs.Cli("benchmark", directory.File("plain.onnx"), directory.File("cam.onnx"), "--max-threads", "2", "--runs", "6");

        Assert.True(code == 0, output);
        Assert.Contains("Thread settings tried on each model: 1 thread; 2 threads; 2 threads, spinning.", output);
        // Plain at its fastest; CAM-ready at its fastest, and as served: each with its setting, median and ratio.
        const string setting = @"\d threads?(, spinning)?\s+[\d.]+";
        Assert.Matches($@"cam\s+{setting}\s+{setting}\s+[\d.]+\s+{setting}\s+[\d.]+", output);
        Assert.Contains("plain      sweep: 1 thread ", output);
        Assert.Contains("CAM-ready  sweep: 1 thread ", output);
        Assert.Contains("served     sweep: 1 thread ", output);
    }

    [Fact]
    public void Benchmark_RunsBatchesWhenAsked()
    {
        using var directory = BenchmarkPair();

        var (code, output) = Programs.Cli("benchmark", directory.File("plain.onnx"), directory.File("cam.onnx"), "--max-threads", "1", "--runs", "3", "--batch", "3");
        Assert.True(code == 0, output);
        Assert.Contains("Medians of 3 interleaved batch-3 runs.", output);
        Assert.Matches(@"cam\s+1 thread\s+[\d.]+", output);

        var (refused, message) = Programs.Cli("benchmark", directory.File("plain.onnx"), directory.File("cam.onnx"), "--batch", "0");
        Assert.True(refused == 2, message);
        Assert.Contains("--batch", message);
    }

    [Fact]
    public void Key_PrintsANewKeyAndTheSha256TheServiceIsConfiguredWith()
    {
        var (code, output) = Programs.Cli("key", "batch-job");
        var (again, secondOutput) = Programs.Cli("key", "batch-job");

        Assert.True(code == 0 && again == 0, output + secondOutput);
        var key = System.Text.RegularExpressions.Regex.Match(output, @"(?m)^key\s+(cs_[A-Za-z0-9_-]{43})$").Groups[1].Value;
        var hash = System.Text.RegularExpressions.Regex.Match(output, @"(?m)^sha256\s+([0-9a-f]{64})$").Groups[1].Value;
        Assert.True(key.Length > 0 && hash.Length > 0, output);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key))), hash);
        Assert.Contains($"--from-literal=batch-job={hash}", output);
        Assert.DoesNotContain(key, secondOutput);

        var (badCode, badOutput) = Programs.Cli("key", "not a name");
        Assert.Equal(2, badCode);
        Assert.Contains("is not 1 to 64 letters", badOutput);
    }
}
