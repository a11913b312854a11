using System.Text;
using System.Text.Json;
using CamService.Cam;
using CamService.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace CamService.Tests;

/// <summary>
/// The service with a small output-pixel cap, a small maxSize ceiling and a body limit above 20 MB, so that a
/// 20 MB field reaches the field checks rather than the body limit.
/// </summary>
public sealed class SmallLimitsFactory() : CamServiceFactory(new()
{
    ["Cam:MaxOutputPixels"] = RequestLimitsTests.Cap.ToString(System.Globalization.CultureInfo.InvariantCulture),
    ["Cam:MaxRenderSize"] = "100",
    ["Cam:DefaultMaxSize"] = "100",
    ["Cam:MaxBodyBytes"] = (48L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture),
});

/// <summary>
/// What one request may make the service hold: its pictures' pixels (Cam:MaxOutputPixels), their size
/// (Cam:MaxRenderSize) and its text fields (Cam:MaxFieldLength, and Cam:MaxMapsPerRequest items a list), each
/// refused with a problem that names the fields to change; the largest request within them is answered.
/// </summary>
public sealed class RequestLimitsTests(SmallLimitsFactory factory) : IClassFixture<SmallLimitsFactory>
{
    /// <summary>Two 100×100 pictures: one model's heatmap and overlay at the ceiling.</summary>
    public const long Cap = 20_000;

    static readonly byte[] Square = TestImages.RedTopLeftPng(100);

    /// <summary>A 20 MB list: ten million targets.</summary>
    static readonly string HugeList = string.Join(",", Enumerable.Repeat("1", 10_000_000));

    [Fact]
    public async Task PicturesOverTheCap_Are400_NamingEveryFieldThatShrinksThem()
    {
        var client = await factory.ReadyClientAsync();

        using var response = await client.PostAsync("/cam", Api.Form(Square, fields: [("models", "colour32,colour48"), ("target", "0")]));

        var problem = await Api.ProblemAsync(response, 400);
        Assert.Contains("(Cam:MaxOutputPixels)", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        // 2 models × 2 pictures of 100×100; one target and one method leave nothing to shorten there.
        Assert.Equal(40_000, problem.GetProperty("outputPixels").GetInt64());
        Assert.Equal(Cap, problem.GetProperty("maxOutputPixels").GetInt64());
        Assert.Equal(["maxSize", "models", "outputs"], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).Order());
    }

    [Fact]
    public async Task AgreementPictures_CountTowardsTheCap()
    {
        var client = await factory.ReadyClientAsync();

        // Two models' overlays (2 × 100×100) are within the cap; agreement's drawings (both models' maps projected,
        // the consensus and the disagreement) are not.
        using var response = await client.PostAsync("/cam", Api.Form(Square,
            fields: [("models", "colour32,colour48"), ("outputs", "overlay"), ("agreement", "true")]));

        var problem = await Api.ProblemAsync(response, 400);
        Assert.Equal(60_000, problem.GetProperty("outputPixels").GetInt64());
        Assert.True(problem.GetProperty("errors").TryGetProperty("agreement", out _));
    }

    [Fact]
    public async Task LargestRequestWithinTheLimits_IsAnswered()
    {
        var client = await factory.ReadyClientAsync();

        // A larger image drawn at the ceiling (maxSize=0), heatmap and overlay: exactly the cap.
        var answer = await client.CamAsync(TestImages.RedTopLeftPng(300), ("models", "colour32"), ("maxSize", "0"));

        var result = Assert.Single(answer.Results);
        Assert.Equal(new ImageSize(100, 100), answer.Rendered);
        Assert.Equal(new ImageSize(300, 300), answer.Image);
        using var heatmap = Api.Decode(result.HeatmapPng);
        using var overlay = Api.Decode(result.OverlayPng);
        Assert.Equal((100, 100), (heatmap.Width, heatmap.Height));
        Assert.Equal((100, 100), (overlay.Width, overlay.Height));
    }

    [Fact]
    public async Task MaxSizeOverTheCeiling_Is400()
    {
        var client = await factory.ReadyClientAsync();

        using var response = await client.PostAsync("/cam", Api.Form(Square, fields: [("models", "colour32"), ("maxSize", "101")]));

        var problem = await Api.ProblemAsync(response, 400);
        Assert.Contains("(Cam:MaxRenderSize)", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.True(problem.GetProperty("errors").TryGetProperty("maxSize", out _));
    }

    [Fact]
    public async Task AnimationMaxSizeOverTheCeiling_Is400()
    {
        var client = await factory.ReadyClientAsync();

        using var response = await client.PostAsync("/cam/animation", Api.Form(Square, fields: [("models", "colour32"), ("maxSize", "101")]));

        var problem = await Api.ProblemAsync(response, 400);
        Assert.Contains("(Cam:MaxRenderSize)", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HugeListField_InMultipart_IsRefusedAsItIsRead()
    {
        var client = await factory.ReadyClientAsync();

        using var response = await client.PostAsync("/cam", Api.Form(Square, fields: [("models", "colour32"), ("target", HugeList)]));

        var problem = await Api.ProblemAsync(response, 400);
        Assert.Contains("'target' is longer than 4,096 bytes (Cam:MaxFieldLength)", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.True(problem.GetProperty("errors").TryGetProperty("target", out _));
    }

    [Fact]
    public async Task FieldSentRepeatedly_IsCheckedJoined()
    {
        var client = await factory.ReadyClientAsync();
        var part = string.Join(",", Enumerable.Repeat("1", 1500));

        using var response = await client.PostAsync("/cam", Api.Form(Square, fields: [("models", "colour32"), ("target", part), ("target", part)]));

        var problem = await Api.ProblemAsync(response, 400);
        Assert.Contains("'target' is 5,999 characters in all; the limit is 4,096 (Cam:MaxFieldLength)", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HugeListField_InJson_IsRefusedBeforeItBecomesAString()
    {
        var client = await factory.ReadyClientAsync();

        var problem = await Api.ProblemAsync(await client.PostAsync("/cam", Json(("models", "\"colour32\""), ("target", $"\"{HugeList}\""))), 400);

        Assert.Contains("'target' is longer than 4,096 bytes (Cam:MaxFieldLength)", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.True(problem.GetProperty("errors").TryGetProperty("target", out _));
    }

    [Fact]
    public async Task HugeJsonArray_IsRefusedAtItsItemLimit()
    {
        var client = await factory.ReadyClientAsync();
        var limit = new CamOptions().MaxMapsPerRequest;

        var problem = await Api.ProblemAsync(await client.PostAsync("/cam", Json(("models", "\"colour32\""), ("target", $"[{HugeList}]"))), 400);

        Assert.Contains($"'target' lists more than {limit} items", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("target")]
    [InlineData("models")]
    [InlineData("method")]
    [InlineData("metrics")]
    public async Task ListOverTheMapLimit_IsRefusedBeforeItIsSplit(string field)
    {
        var client = await factory.ReadyClientAsync();
        var limit = new CamOptions().MaxMapsPerRequest;
        // Short enough for the field length limit, with one item more than a request may draw maps.
        var list = string.Join(",", Enumerable.Repeat("x", limit + 1));

        var problem = await Api.ProblemAsync(await client.PostAsync("/cam", Api.Form(Square, fields: [(field, list)])), 400);

        Assert.Contains($"'{field}' lists more than {limit} items", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task LongFieldName_InJson_IsRefused()
    {
        var client = await factory.ReadyClientAsync();

        var problem = await Api.ProblemAsync(await client.PostAsync("/cam", Json((new string('a', 65), "1"))), 400);

        Assert.Contains("field name is longer than 64 bytes", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task JsonListsWithinTheLimits_AreRead()
    {
        var client = await factory.ReadyClientAsync();

        using var response = await client.PostAsync("/cam", Json(("models", "[\"colour32\"]"), ("target", "[0, \"green\"]"), ("outputs", "\"cam\"")));

        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var answer = JsonSerializer.Deserialize<CamResponse>(await response.Content.ReadAsStringAsync(), Api.Json)!;
        Assert.Equal([0, 1], answer.Results.Select(r => r.Target.Index));
    }

    [Fact]
    public async Task JsonImage_IsReadHoweverItsBase64IsWritten()
    {
        var client = await factory.ReadyClientAsync();
        var base64 = Convert.ToBase64String(Square);
        Assert.Contains('/', base64);

        // Decoded straight from the body; with escaped solidi, or wrapped in lines, through a string as before.
        foreach (var image in new[] { $"data:image/png;base64,{base64}", base64.Replace("/", "\\/", StringComparison.Ordinal), string.Join("\\n", base64.Chunk(76).Select(c => new string(c))) })
        {
            using var response = await client.PostAsync("/cam", new StringContent($"{{\"image\":\"{image}\",\"models\":\"colour32\",\"outputs\":\"cam\"}}",
                Encoding.UTF8, "application/json"));
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            Assert.Equal(new ImageSize(100, 100), JsonSerializer.Deserialize<CamResponse>(await response.Content.ReadAsStringAsync(), Api.Json)!.Image);
        }
    }

    [Fact]
    public void DefaultMaxSizeAboveTheCeiling_FailsAtStart()
    {
        using var misconfigured = new ConfiguredFactory(new() { ["Cam:MaxRenderSize"] = "512", ["Cam:DefaultMaxSize"] = "1024" });

        var error = Assert.Throws<OptionsValidationException>(() => misconfigured.CreateClient());

        Assert.Contains("Cam:DefaultMaxSize (1024) is larger than Cam:MaxRenderSize (512)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CompleteJson_HoldsTheWholeAnswer_InSegments()
    {
        // Pictures far larger than a segment, and many small values between them.
        var value = new
        {
            Pictures = Enumerable.Range(0, 3).Select(i => Enumerable.Range(0, 1_500_000).Select(b => (byte)(b * (i + 7))).ToArray()).ToList(),
            Numbers = Enumerable.Range(0, 200_000).ToArray(),
        };
        var options = JsonSerializerOptions.Web;
        var expected = JsonSerializer.SerializeToUtf8Bytes(value, options);

        var answer = CompleteJson.Serialize(value, options);
        var context = new DefaultHttpContext();
        using var body = new MemoryStream();
        context.Response.Body = body;
        await answer.ExecuteAsync(context);

        Assert.Equal(expected.Length, answer.Length);
        Assert.Equal(expected.Length, context.Response.ContentLength);
        Assert.Equal(CompleteJson.ContentType, context.Response.ContentType);
        Assert.Equal(expected, body.ToArray());
    }

    static StringContent Json(params (string Name, string Value)[] fields) => new(
        "{\"image\":\"" + Convert.ToBase64String(Square) + "\"," + string.Join(",", fields.Select(f => $"\"{f.Name}\":{f.Value}")) + "}",
        Encoding.UTF8, "application/json");
}
