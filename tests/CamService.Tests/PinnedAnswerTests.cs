using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CamService.Testing;

namespace CamService.Tests;

/// <summary>
/// POST /cam answers byte for byte as they were when these hashes were taken: a change of the explanation path
/// that changes a map, a picture, a score or the JSON's shape fails here. The timings (timingsMs, agreementMs)
/// vary run to run, so their values are blanked before hashing; every other byte counts. One thread per model
/// run, so no machine's tuning changes a sum's order. With CAMSERVICE_PINNED_DUMP naming a folder, each answer is
/// written there under its hash, to see what changed.
/// </summary>
public sealed partial class PinnedAnswerTests : IClassFixture<PinnedAnswerTests.OneThreadFactory>
{
    public sealed class OneThreadFactory() : CamServiceFactory(new() { ["Inference:Threads"] = "1" });

    readonly OneThreadFactory factory;

    public PinnedAnswerTests(OneThreadFactory factory) => this.factory = factory;

    [Fact]
    public async Task Multipart_ModelsMethodsTargetsMetricsAndAgreement()
    {
        var client = await factory.ReadyClientAsync();
        using var response = await client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(40), fields:
        [
            ("models", "colour32,colour48"), ("method", "gradcam,eigencam,scorecam,ablationcam"), ("target", "red,2"),
            ("outputs", "cam,heatmap,overlay"), ("metrics", "all"), ("metricSteps", "4"), ("agreement", "true"), ("colormap", "viridis"),
        ]));

        await AssertPinned(response, "e9d0e0e9538d25a73edde4a5ede32c9fcecd2a0695e36eded8372f54bab3c7cc");
    }

    [Fact]
    public async Task Json_CropJpegSmallerPictures()
    {
        var client = await factory.ReadyClientAsync();
        var json = JsonSerializer.Serialize(new
        {
            image = Convert.ToBase64String(TestImages.Png(TestImages.Noise(64, 48))), models = new[] { "plain32", "colour32" },
            method = "gradcam++,layercam,hirescam", resize = "crop", maxSize = 30, format = "jpeg", topK = 2, metrics = "drop,deletion",
        });
        using var response = await client.PostAsync("/cam", new StringContent(json, Encoding.UTF8, "application/json"));

        await AssertPinned(response, "c7e805d40ecff61abdbb10559cb7b6e9fa352cc301e667d26ce2c158fc24a734");
    }

    [Fact]
    public async Task PictureAnswer_IsTheOverlay()
    {
        var client = await factory.ReadyClientAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/cam")
        {
            Content = Api.Form(TestImages.Jpeg(TestImages.RedPatch(50, 30, new SixLabors.ImageSharp.Rectangle(30, 10, 10, 10))), "image/jpeg",
                ("models", "colour48"), ("method", "xgradcam"), ("target", "blue")),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("image/webp"));
        using var response = await client.SendAsync(request);

        await AssertPinned(response, "e159f1be7a3256f0853dcebd75241b8c5de21c973aa19a2f8a51371560e3217b");
    }

    static async Task AssertPinned(HttpResponseMessage response, string expectedSha256)
    {
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST /cam answered {(int)response.StatusCode}: {Encoding.UTF8.GetString(body)}");
        if (response.Content.Headers.ContentType?.MediaType == "application/json")
        {
            var text = Encoding.UTF8.GetString(body);
            body = Encoding.UTF8.GetBytes(Timings().Replace(text, "\"${name}\":0"));
        }
        var actual = Convert.ToHexStringLower(SHA256.HashData(body));
        if (Environment.GetEnvironmentVariable("CAMSERVICE_PINNED_DUMP") is { Length: > 0 } folder)
        {
            File.WriteAllBytes(Path.Combine(folder, actual), body);
        }
        Assert.True(expectedSha256 == actual, $"The answer ({body.Length} bytes) hashes to {actual}, not {expectedSha256}.");
    }

    /// <summary>Each time in the answer: a result's timingsMs object, or agreementMs.</summary>
    [GeneratedRegex("\"(?<name>timingsMs|agreementMs)\":(\\{[^}]*\\}|[-0-9.eE+]+)")]
    private static partial Regex Timings();
}
