using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CamService.Cam;
using CamService.Inference.Methods;
using CamService.Testing;

namespace CamService.Tests;

/// <summary>
/// POST /cam with every registered method and several targets, and GET /methods. Written over
/// <see cref="CamMethods.Default"/>, whichever methods it holds: a method added there is served and tested here.
/// </summary>
public sealed class MethodsApiTests(CamServiceFactory factory) : IClassFixture<CamServiceFactory>
{
    public static TheoryData<string> Methods => new(CamMethods.Default.Names);

    static readonly string AllMethods = string.Join(",", CamMethods.Default.Names);

    [Theory]
    [MemberData(nameof(Methods))]
    public async Task EveryMethod_IsServed_WithAFiniteMapAndItsPictures(string method)
    {
        var client = await factory.ReadyClientAsync();
        var answer = await client.CamAsync(TestImages.RedTopLeftPng(), ("models", "colour32,colour48"), ("method", method), ("target", "red"));

        Assert.Equal(["colour32", "colour48"], answer.Results.Select(r => r.Model));
        foreach (var result in answer.Results)
        {
            Assert.Equal(method, result.Method);
            Assert.Equal(0, result.Target.Index);
            Assert.Equal(result.Cam!.Width * result.Cam.Height, result.Cam.Data.Length);
            Assert.All(result.Cam.Data, value => Assert.True(float.IsFinite(value)));
            Assert.True(result.TimingsMs.Cam >= 0);
            using var heatmap = Api.Decode(result.HeatmapPng);
            using var overlay = Api.Decode(result.OverlayPng);
            Assert.Equal((32, 32), (heatmap.Width, heatmap.Height));
        }
        Assert.Equal((8, 8), (answer.Results[0].Cam!.Width, answer.Results[0].Cam!.Height));
        Assert.Equal((12, 12), (answer.Results[1].Cam!.Width, answer.Results[1].Cam!.Height));
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public async Task EveryMethod_AsksByAnyCase_AndAnswersByItsName(string method)
    {
        var client = await factory.ReadyClientAsync();
        var answer = await client.CamAsync(TestImages.RedTopLeftPng(), ("models", "colour32"), ("method", method.ToUpperInvariant()), ("outputs", "cam"));
        Assert.Equal(method, Assert.Single(answer.Results).Method);
    }

    [Fact]
    public async Task ModelsMethodsAndTargets_OneResultEach_ModelsOuterThenMethodsThenTargets()
    {
        var client = await factory.ReadyClientAsync();
        var methods = CamMethods.Default.Names.Reverse().ToArray();
        string[] models = ["colour48", "colour32"];
        var answer = await client.CamAsync(TestImages.RedTopLeftPng(),
            ("models", string.Join(",", models)), ("method", string.Join(",", methods)), ("target", "dark, 0"), ("outputs", "cam"));

        var expected = from model in models from method in methods from target in new[] { 3, 0 } select (model, method, target);
        Assert.Equal(expected, answer.Results.Select(r => (r.Model, r.Method, r.Target.Index)));
        // A model's predictions come from its one run: the same in each of its results.
        foreach (var model in models)
        {
            var ofModel = answer.Results.Where(r => r.Model == model).ToList();
            Assert.All(ofModel, r => Assert.Equal(ofModel[0].Predictions, r.Predictions));
            Assert.All(ofModel, r => Assert.Equal(ofModel[0].TimingsMs.Inference, r.TimingsMs.Inference));
        }
    }

    [Fact]
    public async Task SeveralTargetsAndMethods_GiveTheMapsOfSingleRequests()
    {
        var client = await factory.ReadyClientAsync();
        var png = TestImages.RedTopLeftPng();
        var together = await client.CamAsync(png, ("models", "colour32,colour48"), ("method", AllMethods), ("target", "0,green,3"), ("outputs", "cam"));

        foreach (var result in together.Results)
        {
            var alone = Assert.Single((await client.CamAsync(png, ("models", result.Model), ("method", result.Method),
                ("target", result.Target.Index.ToString()), ("outputs", "cam"))).Results);
            Assert.Equal(alone.Target, result.Target);
            Assert.Equal(alone.Predictions, result.Predictions);
            Assert.Equal(alone.Cam!.Data.Length, result.Cam!.Data.Length);
            for (var i = 0; i < alone.Cam.Data.Length; i++)
            {
                Assert.Equal(alone.Cam.Data[i], result.Cam.Data[i], 1e-5f);
            }
        }
    }

    [Fact]
    public async Task Targets_AndMethods_AsJsonArrays()
    {
        var client = await factory.ReadyClientAsync();
        var png = TestImages.RedTopLeftPng();
        var json = JsonSerializer.Serialize(new { image = Convert.ToBase64String(png), models = new[] { "colour32" }, method = new[] { "gradcam" }, target = new object[] { 3, "red" }, outputs = "cam" });
        using var response = await client.PostAsync("/cam", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = (await response.Content.ReadFromJsonAsync<CamResponse>(Api.Json))!;
        Assert.Equal([3, 0], answer.Results.Select(r => r.Target.Index));
    }

    [Fact]
    public async Task AcceptPng_WithSeveralTargetsOrMethods_Is406Problem()
    {
        var client = await factory.ReadyClientAsync();
        foreach (var fields in new[] { new[] { ("models", "colour32"), ("target", "0,1") }, [("models", "colour32"), ("method", "gradcam"), ("target", "red,dark")] })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/cam") { Content = Api.Form(TestImages.RedTopLeftPng(), fields: fields) };
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("image/png"));
            var problem = await Api.ProblemAsync(await client.SendAsync(request), 406);
            Assert.Contains("2 maps", problem.GetProperty("detail").GetString());
        }
    }

    [Fact]
    public async Task MethodsList_HasEveryRegisteredMethod_WithItsCostAndGradients()
    {
        var client = await factory.ReadyClientAsync();
        var listed = (await client.GetFromJsonAsync<MethodDescription[]>("/methods", Api.Json))!;

        Assert.Equal(CamMethods.Default.Names, listed.Select(m => m.Name));
        foreach (var (description, method) in listed.Zip(CamMethods.Default.All))
        {
            Assert.False(string.IsNullOrWhiteSpace(description.Description));
            Assert.DoesNotContain('\n', description.Description);
            Assert.Equal(method.UsesGradients, description.UsesGradients);
            Assert.Equal(method.Cost switch
            {
                CostClass.OnePass => "one-pass",
                CostClass.HeadOnly => "head-only",
                _ => "many-forwards",
            }, description.Cost);
        }
        Assert.Contains(listed, m => m is { Name: "gradcam", Cost: "one-pass", UsesGradients: true });
    }

    [Fact]
    public async Task OpenApi_DocumentsMethodsAndTheListFields()
    {
        var client = await factory.ReadyClientAsync();
        using var document = JsonDocument.Parse(await client.GetStringAsync("/swagger/v1/swagger.json"));
        var root = document.RootElement;

        var methods = root.GetProperty("paths").GetProperty("/methods").GetProperty("get");
        Assert.Equal("ListMethods", methods.GetProperty("operationId").GetString());
        Assert.Contains("MethodDescription", methods.GetProperty("responses").GetProperty("200").GetRawText());

        var fields = root.GetProperty("components").GetProperty("schemas").GetProperty("CamFormFields").GetProperty("properties");
        Assert.Contains("\"281,285\"", fields.GetProperty("target").GetProperty("description").GetString());
        Assert.Contains("GET /methods", fields.GetProperty("method").GetProperty("description").GetString());
        Assert.Contains("0 = all", fields.GetProperty("scoreCamChannels").GetProperty("description").GetString());
        var json = root.GetProperty("components").GetProperty("schemas").GetProperty("CamJsonBody").GetProperty("properties");
        Assert.True(json.TryGetProperty("scoreCamChannels", out _));
        var cost = root.GetProperty("components").GetProperty("schemas").GetProperty("MethodDescription").GetProperty("properties").GetProperty("cost");
        Assert.Contains("many-forwards", cost.GetProperty("description").GetString());
    }
}
