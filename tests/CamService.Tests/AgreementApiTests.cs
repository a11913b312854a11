using System.Text;
using System.Text.Json;
using CamService.Cam;
using CamService.Testing;

namespace CamService.Tests;

/// <summary>POST /cam's agreement and agreementTopPercent: the answer's shape, its numbers on two models with the same evidence, and bad values.</summary>
public sealed class AgreementApiTests(CamServiceFactory factory) : IClassFixture<CamServiceFactory>
{
    [Fact]
    public async Task Agreement_OnePerMethodAndTarget_WithMatricesPicturesAndTime()
    {
        var client = await factory.ReadyClientAsync();
        var answer = await client.CamAsync(TestImages.RedTopLeftPng(40), ("models", "colour32,colour48"), ("method", "gradcam,eigencam"),
            ("target", "red"), ("agreement", "true"), ("agreementTopPercent", "10"), ("colormap", "viridis"));

        Assert.Equal(4, answer.Results.Count);
        Assert.NotNull(answer.AgreementMs);
        var agreement = answer.Agreement!;
        Assert.Equal(["gradcam", "eigencam"], agreement.Select(a => a.Method));
        foreach (var entry in agreement)
        {
            Assert.Equal("red", entry.Target);
            Assert.Equal(["colour32", "colour48"], entry.Models);
            Assert.Equal(10, entry.TopPercent);
            Assert.Equal(new ImageSize(40, 40), entry.Analysis);
            Assert.Equal([1.0, 1.0], [entry.Spearman[0][0], entry.Spearman[1][1]]);
            Assert.Equal(entry.Spearman[0][1], entry.Spearman[1][0]);
            Assert.Equal([1.0, 1.0], [entry.TopPercentIou[0][0], entry.TopPercentIou[1][1]]);
            using var consensus = Api.Decode(entry.ConsensusPng);
            using var disagreement = Api.Decode(entry.DisagreementPng);
            Assert.Equal((40, 40), (consensus.Width, consensus.Height));
            Assert.Equal((40, 40), (disagreement.Width, disagreement.Height));
        }
        // Both models see red in the same top-left corner, at different resolutions: their Grad-CAMs agree closely.
        Assert.True(agreement[0].Spearman[0][1] > 0.8, $"Spearman {agreement[0].Spearman[0][1]}");
        Assert.True(agreement[0].TopPercentIou[0][1] > 0.5, $"IoU {agreement[0].TopPercentIou[0][1]}");
    }

    [Fact]
    public async Task Target_IsAsTheRequestWroteIt_AndTheAnalysisAtMost256()
    {
        var client = await factory.ReadyClientAsync();
        var answer = await client.CamAsync(TestImages.Png(TestImages.RedPatch(600, 300, new SixLabors.ImageSharp.Rectangle(0, 0, 100, 100))),
            ("models", "colour32,plain32"), ("agreement", "true"), ("outputs", "cam"), ("maxSize", "120"), ("resize", "crop"));

        var entry = Assert.Single(answer.Agreement!);
        Assert.Equal("top-1", entry.Target);
        Assert.Equal(20, entry.TopPercent);
        Assert.Equal(new ImageSize(256, 128), entry.Analysis);
        // The pictures at the response's rendered size; outside the centre crop, transparent.
        using var consensus = Api.Decode(entry.ConsensusPng);
        Assert.Equal((120, 60), (consensus.Width, consensus.Height));
        Assert.Equal(0, consensus[1, 30].A);
        Assert.Equal(255, consensus[60, 30].A);
        // The same model twice over agrees exactly.
        Assert.Equal(1.0, entry.Spearman[0][1]);
        Assert.Equal(1.0, entry.TopPercentIou[0][1]);
    }

    [Fact]
    public async Task Omitted_UnlessAsked()
    {
        var client = await factory.ReadyClientAsync();
        using var response = await client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(), fields: [("models", "colour32,colour48"), ("outputs", "cam")]));
        var root = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.False(root.TryGetProperty("agreement", out _));
        Assert.False(root.TryGetProperty("agreementMs", out _));
    }

    [Fact]
    public async Task Json_TakesABoolean_AndTheFieldNamesAreCamelCase()
    {
        var client = await factory.ReadyClientAsync();
        var json = JsonSerializer.Serialize(new
        {
            image = Convert.ToBase64String(TestImages.RedTopLeftPng()), models = new[] { "colour32", "colour48" }, agreement = true, agreementTopPercent = 25.5, outputs = "cam",
        });
        using var response = await client.PostAsync("/cam", new StringContent(json, Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);

        var entry = JsonDocument.Parse(body).RootElement.GetProperty("agreement")[0];
        Assert.Equal(["method", "target", "models", "spearman", "topPercent", "topPercentIou", "consensusPng", "disagreementPng", "analysis"],
            entry.EnumerateObject().Select(p => p.Name));
        Assert.Equal(25.5, entry.GetProperty("topPercent").GetDouble());
    }

    [Theory]
    [InlineData("colour32")]
    [InlineData("plain32")]
    public async Task Agreement_WithOneModel_Is400(string model)
    {
        var client = await factory.ReadyClientAsync();
        var problem = await Api.ProblemAsync(await client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(),
            fields: [("models", model), ("agreement", "true")])), 400);

        Assert.Contains("two models or more", problem.GetProperty("detail").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty("agreement", out _));
    }

    [Theory]
    [InlineData("agreement", "yes", "true or false")]
    [InlineData("agreementTopPercent", "0", "from 1 to 99")]
    [InlineData("agreementTopPercent", "100", "from 1 to 99")]
    [InlineData("agreementTopPercent", "most", "from 1 to 99")]
    public async Task BadField_Is400_NamingIt(string field, string value, string message)
    {
        var client = await factory.ReadyClientAsync();
        var problem = await Api.ProblemAsync(await client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(),
            fields: [("models", "colour32,colour48"), (field, value)])), 400);

        Assert.Contains(message, problem.GetProperty("detail").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors names '{field}'");
    }

    [Fact]
    public async Task OpenApi_DocumentsTheNewFields()
    {
        var client = await factory.ReadyClientAsync();
        using var document = JsonDocument.Parse(await client.GetStringAsync("/swagger/v1/swagger.json"));
        var schemas = document.RootElement.GetProperty("components").GetProperty("schemas");

        foreach (var schema in new[] { "CamFormFields", "CamJsonBody" })
        {
            var fields = schemas.GetProperty(schema).GetProperty("properties");
            foreach (var field in new[] { "metrics", "metricSteps", "agreement", "agreementTopPercent" })
            {
                Assert.False(string.IsNullOrWhiteSpace(fields.GetProperty(field).GetProperty("description").GetString()), $"{schema}.{field}");
            }
        }
    }
}
