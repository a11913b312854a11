using System.Text;
using System.Text.Json;
using CamService.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;

namespace CamService.Tests;

/// <summary>POST /cam's metrics and metricSteps: what each result carries, the defaults, and bad values.</summary>
public sealed class FaithfulnessApiTests(CamServiceFactory factory) : IClassFixture<CamServiceFactory>
{
    static async Task<JsonElement> CamJsonAsync(HttpClient client, params (string Name, string Value)[] fields)
    {
        using var response = await client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(), fields: fields));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST /cam answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    static string[] Names(JsonElement element) => element.EnumerateObject().Select(p => p.Name).ToArray();

    [Fact]
    public async Task AllMetrics_GiveEveryScore_TheCurvesOfTheStepsAsked_AndTheirTime()
    {
        var client = await factory.ReadyClientAsync();
        var answer = await CamJsonAsync(client, ("models", "colour32"), ("target", "red"), ("metrics", "all"), ("metricSteps", "5"), ("outputs", "cam"));

        var result = answer.GetProperty("results")[0];
        var metrics = result.GetProperty("metrics");
        Assert.Equal(["averageDrop", "increase", "deletionAuc", "insertionAuc", "deletionCurve", "insertionCurve", "forwards"], Names(metrics));
        Assert.Equal(11, metrics.GetProperty("forwards").GetInt32());
        var deletion = metrics.GetProperty("deletionCurve").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        var insertion = metrics.GetProperty("insertionCurve").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        Assert.Equal(6, deletion.Length);
        Assert.Equal(6, insertion.Length);
        // The curves start and end at the image's own probability of the target.
        var probability = result.GetProperty("predictions").EnumerateArray().Single(p => p.GetProperty("index").GetInt32() == 0).GetProperty("probability").GetSingle();
        Assert.Equal(probability, deletion[0], 4);
        Assert.Equal(probability, insertion[^1], 4);
        Assert.InRange(metrics.GetProperty("deletionAuc").GetDouble(), 0, 1);
        Assert.InRange(metrics.GetProperty("averageDrop").GetDouble(), 0, 100);
        Assert.True(result.GetProperty("timingsMs").GetProperty("metrics").GetDouble() > 0);
    }

    [Fact]
    public async Task OnlyTheMetricsAsked_ArePresent_AndNoneByDefault()
    {
        var client = await factory.ReadyClientAsync();
        var deletion = (await CamJsonAsync(client, ("models", "colour32"), ("metrics", "deletion"), ("outputs", "cam"))).GetProperty("results")[0];
        var none = (await CamJsonAsync(client, ("models", "colour32"), ("outputs", "cam"))).GetProperty("results")[0];

        Assert.Equal(["deletionAuc", "deletionCurve", "forwards"], Names(deletion.GetProperty("metrics")));
        // The default of metricSteps: 20 points after the first.
        Assert.Equal(21, deletion.GetProperty("metrics").GetProperty("deletionCurve").GetArrayLength());
        Assert.Equal(20, deletion.GetProperty("metrics").GetProperty("forwards").GetInt32());
        Assert.False(none.TryGetProperty("metrics", out _));
        Assert.False(none.GetProperty("timingsMs").TryGetProperty("metrics", out _));
        Assert.Equal(["preprocess", "inference", "cam", "render"], Names(none.GetProperty("timingsMs")));
    }

    [Fact]
    public async Task EveryMap_OfEveryModel_IsScored()
    {
        var client = await factory.ReadyClientAsync();
        var answer = await CamJsonAsync(client, ("models", "colour32,colour48"), ("method", "gradcam,eigencam"), ("metrics", "drop"), ("outputs", "cam"));

        var results = answer.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(4, results.Count);
        Assert.All(results, r => Assert.Equal(1, r.GetProperty("metrics").GetProperty("forwards").GetInt32()));
    }

    [Fact]
    public async Task Json_TakesTheMetricsAsAnArray()
    {
        var client = await factory.ReadyClientAsync();
        var json = JsonSerializer.Serialize(new
        {
            image = Convert.ToBase64String(TestImages.RedTopLeftPng()), models = "colour32", metrics = new[] { "drop", "insertion" }, metricSteps = 3, outputs = "cam",
        });
        using var response = await client.PostAsync("/cam", new StringContent(json, Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);

        var metrics = JsonDocument.Parse(body).RootElement.GetProperty("results")[0].GetProperty("metrics");
        Assert.Equal(["averageDrop", "increase", "insertionAuc", "insertionCurve", "forwards"], Names(metrics));
        Assert.Equal(4, metrics.GetProperty("forwards").GetInt32());
    }

    [Theory]
    [InlineData("metrics", "road", "Unknown metric 'road'")]
    [InlineData("metrics", "drop,ROAD", "Unknown metric")]
    [InlineData("metricSteps", "0", "from 1 to 100")]
    [InlineData("metricSteps", "101", "Cam:MaxMetricSteps")]
    [InlineData("metricSteps", "many", "metricSteps")]
    public async Task BadField_Is400_NamingIt(string field, string value, string message)
    {
        var client = await factory.ReadyClientAsync();
        var problem = await Api.ProblemAsync(await client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(),
            fields: [("models", "colour32"), (field, value)])), 400);

        Assert.Contains(message, problem.GetProperty("detail").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors names '{field}'");
    }

    [Fact]
    public async Task MaxMetricSteps_ComesFromConfiguration()
    {
        using var host = new ConfiguredFactory(new() { ["Cam:MaxMetricSteps"] = "4" });
        var client = await host.ReadyClientAsync();

        var problem = await Api.ProblemAsync(await client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(),
            fields: [("models", "colour32"), ("metrics", "deletion"), ("metricSteps", "5")])), 400);
        Assert.Contains("from 1 to 4", problem.GetProperty("detail").GetString());
        // The default of 20 is capped by the limit.
        var capped = await CamJsonAsync(client, ("models", "colour32"), ("metrics", "deletion"), ("outputs", "cam"));
        Assert.Equal(4, capped.GetProperty("results")[0].GetProperty("metrics").GetProperty("forwards").GetInt32());
    }

    /// <summary>
    /// 10 000 steps of a 256 px model are 20 001 forward passes, over 8 s of work here: the request's 2 s deadline stops
    /// them part-way, and the client gets 504. 2 s, not less: on a loaded machine a shorter deadline passed before
    /// the metrics began, and then no run was there to stop.
    /// </summary>
    [Fact]
    public async Task PastTheDeadline_TheMetricsStop_And504()
    {
        using var host = new ConfiguredFactory(new() { ["Cam:RequestTimeoutSeconds"] = "2", ["Cam:MaxMetricSteps"] = "10000", ["Inference:Threads"] = "1" },
            directory => TestModels.WriteCamReady(directory, "colour256", 256));
        var logs = new CollectingSink();
        using var service = host.WithWebHostBuilder(builder => builder.ConfigureTestServices(services => services.AddSingleton<ILogEventSink>(logs)));
        var client = service.CreateClient();
        await service.Services.GetRequiredService<CamService.Models.ModelRegistry>().Loaded.WaitAsync(Wait.ForModels);

        var problem = await Api.ProblemAsync(await client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(),
            fields: [("models", "colour256"), ("metrics", "all"), ("metricSteps", "10000"), ("outputs", "cam")])), 504);

        Assert.Contains("Cam:RequestTimeoutSeconds", problem.GetProperty("detail").GetString());
        await Wait.Until(() => logs.Count("run stopped", "colour256") == 1);
    }
}
