using CamService.Inference.Explanations;
using System.Text.Json;
using CamService.Cam;
using CamService.Problems;
using CamService.Testing;

namespace CamService.Tests;

/// <summary>
/// Models with logits in the hundreds (untrained, distilled, temperature-scaled) still get finite
/// probabilities; a model that yields NaN gets a 422 naming it, never a 500 or a cut-off answer.
/// </summary>
public sealed class NumericsTests(NumericsTests.Factory factory) : IClassFixture<NumericsTests.Factory>
{
    /// <summary>The usual models plus loud32 (logits up to ±500) and nan32 (NaN weights in its classifier).</summary>
    public sealed class Factory() : CamServiceFactory([], directory =>
    {
        TestModels.WriteCamReady(directory, "loud32", 32, logitScale: 500);
        TestModels.WriteCamReady(directory, "nan32", 32, logitScale: float.NaN);
    });

    [Fact]
    public async Task LogitsInTheHundreds_Get200_WithFiniteProbabilities()
    {
        var client = await factory.ReadyClientAsync();
        using var red = TestImages.RedPatch(32, 32, new SixLabors.ImageSharp.Rectangle(0, 0, 32, 24));
        var answer = await client.CamAsync(TestImages.Png(red), ("models", "loud32,colour32"), ("topk", "4"));

        var loud = answer.Results[0];
        Assert.Equal("red", loud.Target.Label);
        Assert.True(loud.Target.Score > 100, $"the red logit is {loud.Target.Score}");
        Assert.All(loud.Predictions, p => Assert.True(float.IsFinite(p.Probability)));
        Assert.Equal(1f, loud.Predictions.Sum(p => p.Probability), 4);
        Assert.Equal(1f, loud.Predictions[0].Probability, 4);
        Assert.All(loud.Cam!.Data, v => Assert.True(float.IsFinite(v)));
        Assert.Equal("colour32", answer.Results[1].Model);
    }

    [Theory]
    [InlineData("nan32")]
    [InlineData("colour32,nan32,colour48")]
    public async Task NaNOutputs_Are422_NamingTheModelAndOutput(string models)
    {
        var client = await factory.ReadyClientAsync();
        var problem = await Api.ProblemAsync(await client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(32), fields: ("models", models))), 422);
        Assert.Equal("nan32", problem.GetProperty("model").GetString());
        Assert.Equal("logits", problem.GetProperty("output").GetString());
        Assert.Contains("'nan32' produced NaN in its logits", problem.GetProperty("detail").GetString());

        // The same model fails the same way every time; the others serve on.
        Assert.Equal(2, (await client.CamAsync(TestImages.RedTopLeftPng(32), ("models", "colour32,loud32"))).Results.Count);
    }

    [Fact]
    public void TopK_OfHugeLogits_IsFiniteAndSumsToOne()
    {
        var predictions = CamEngine.TopK([1000f, 999f, -1000f, 88.8f], 4, i => $"class {i}");
        Assert.Equal([0, 1, 3, 2], predictions.Select(p => p.Index));
        Assert.Equal(1 / (1 + MathF.Exp(-1)), predictions[0].Probability, 5);
        Assert.Equal(1f, predictions.Sum(p => p.Probability), 5);
        Assert.All(predictions, p => Assert.True(float.IsFinite(p.Probability)));
    }

    public static TheoryData<float[], string?> Outputs => new()
    {
        { [0f, -1e30f, 3.5f], null },
        { [], null },
        { [0f, float.NaN], "NaN" },
        { [float.PositiveInfinity, 1f], "infinite values" },
        { [float.NegativeInfinity, float.NaN], "NaN" },
    };

    [Theory]
    [MemberData(nameof(Outputs))]
    public void NonFiniteOutput_IsFound_InAnyOutput(float[] values, string? expected)
    {
        var thrown = Record.Exception(() => CamEngine.CheckFinite("m", "gradients", values));
        if (expected is null)
        {
            Assert.Null(thrown);
            return;
        }
        var problem = NonFiniteOutput.Problem("m", Assert.IsType<NonFiniteOutputException>(thrown));
        Assert.Equal(422, problem.Status);
        Assert.Contains($"produced {expected} in its gradients", problem.Message);
        Assert.Equal("gradients", problem.Extensions!["output"]);
        _ = JsonSerializer.Serialize(problem.Extensions);
    }
}
