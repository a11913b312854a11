using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CamService.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;
using Serilog.Events;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Tests;

/// <summary>Bad input gets a clear application/problem+json 4xx — never a 500 — and the service keeps serving.</summary>
public sealed class ErrorTests(CamServiceFactory factory) : IClassFixture<CamServiceFactory>
{
    public static TheoryData<string, string, string> BadFields => new()
    {
        { "target", "7", "out of range" },
        { "target", "purple", "no class labelled" },
        { "target", "-2", "cannot be negative" },
        { "topk", "0", "topk" },
        { "topk", "many", "topk" },
        { "colormap", "rainbow", "colormap" },
        { "alpha", "1.5", "alpha" },
        { "alpha", "half", "alpha" },
        { "resize", "squash", "resize" },
        { "method", "magic", "Unknown method" },
        { "method", "gradcam,magic", "Unknown method 'magic'. Methods: " },
        { "method", "gradcam,GradCAM", "twice" },
        { "target", "1,1", "twice" },
        { "target", "1,green", "same class" },
        { "target", "0,-2", "cannot be negative" },
        { "scoreCamChannels", "-1", "scoreCamChannels" },
        { "scoreCamChannels", "all", "scoreCamChannels" },
        { "models", "colour32,colour32", "twice" },
        { "modles", "colour32", "Unknown field" },
    };

    [Theory]
    [MemberData(nameof(BadFields))]
    public async Task BadField_Is400_NamingTheField(string field, string value, string message)
    {
        var client = await factory.ReadyClientAsync();
        var fields = field == "models" ? new[] { (field, value) } : new[] { ("models", "colour32"), (field, value) };
        var problem = await Api.ProblemAsync(await client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(), fields: fields)), 400);
        Assert.Contains(message, problem.GetProperty("detail").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors names '{field}'");
    }

    [Fact]
    public async Task MissingImage_Is400()
    {
        var client = await factory.ReadyClientAsync();
        var form = new MultipartFormDataContent { { new StringContent("colour32"), "models" } };
        var problem = await Api.ProblemAsync(await client.PostAsync("/cam", form), 400);
        Assert.True(problem.GetProperty("errors").TryGetProperty("image", out _));
    }

    [Theory]
    [InlineData("{\"models\":\"colour32\"}", "image")]
    [InlineData("{\"image\":\"***not base64***\"}", "image")]
    [InlineData("{\"image\": 5}", "image")]
    public async Task BadJson_Is400(string json, string field)
    {
        var client = await factory.ReadyClientAsync();
        var problem = await Api.ProblemAsync(await client.PostAsync("/cam", new StringContent(json, Encoding.UTF8, "application/json")), 400);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task MalformedJson_Is400()
    {
        var client = await factory.ReadyClientAsync();
        await Api.ProblemAsync(await client.PostAsync("/cam", new StringContent("{\"image\":", Encoding.UTF8, "application/json")), 400);
    }

    [Fact]
    public async Task UnknownModel_Is404()
    {
        var client = await factory.ReadyClientAsync();
        var problem = await Api.ProblemAsync(await client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(), fields: ("models", "colour32,vgg99"))), 404);
        Assert.Contains("vgg99", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task FailedModel_Is503_WithItsReason()
    {
        var client = await factory.ReadyClientAsync();
        var problem = await Api.ProblemAsync(await client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(), fields: ("models", "broken"))), 503);
        Assert.Contains("failed", problem.GetProperty("detail").GetString());
    }

    public static TheoryData<string, byte[]> UnsupportedImages => new()
    {
        { "gif", Encode(new GifEncoder()) },
        { "bmp", Encode(new BmpEncoder()) },
        { "text", Encoding.UTF8.GetBytes("hello, I am not a picture") },
    };

    [Theory]
    [MemberData(nameof(UnsupportedImages))]
    public async Task UnsupportedImage_Is415(string kind, byte[] bytes)
    {
        var client = await factory.ReadyClientAsync();
        var problem = await Api.ProblemAsync(await client.PostAsync("/cam", Api.Form(bytes, fields: ("models", "colour32"))), 415);
        Assert.Contains("PNG", problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        _ = kind;
    }

    [Fact]
    public async Task UnsupportedContentType_Is415()
    {
        var client = await factory.ReadyClientAsync();
        var content = new ByteArrayContent(TestImages.RedTopLeftPng());
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        await Api.ProblemAsync(await client.PostAsync("/cam", content), 415);
    }

    [Theory]
    [InlineData("png")]
    [InlineData("jpeg")]
    public async Task CorruptImage_Is422(string format)
    {
        var client = await factory.ReadyClientAsync();
        using var image = TestImages.RedPatch(64, 64, new Rectangle(0, 0, 16, 16));
        var bytes = format == "png" ? TestImages.Png(image) : TestImages.Jpeg(image);
        // Keep the header (so it is recognised) and break the body.
        var corrupt = bytes[..(bytes.Length / 3)].Concat(Enumerable.Repeat((byte)0x5A, 64)).ToArray();
        await Api.ProblemAsync(await client.PostAsync("/cam", Api.Form(corrupt, fields: ("models", "colour32"))), 422);
    }

    [Fact]
    public async Task HugeUnknownFieldName_IsEchoedCut_InPrintableCharacters()
    {
        var client = await factory.ReadyClientAsync();
        var name = "field\u0001" + new string('x', 100_000);
        var json = JsonSerializer.Serialize(new Dictionary<string, string> { ["image"] = Convert.ToBase64String(TestImages.RedTopLeftPng()), [name] = "1" });

        var problem = await Api.ProblemAsync(await client.PostAsync("/cam", new StringContent(json, Encoding.UTF8, "application/json")), 400);

        var key = Assert.Single(problem.GetProperty("errors").EnumerateObject()).Name;
        Assert.Equal("field?" + new string('x', 58) + "…", key);
        Assert.True(problem.GetProperty("detail").GetString()!.Length < 1000, "the detail repeats the name cut");
        Assert.Contains(key, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LongUnknownMultipartField_IsEchoedCut()
    {
        var client = await factory.ReadyClientAsync();
        var name = new string('y', 1500);

        var problem = await Api.ProblemAsync(await client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(), fields: [("models", "colour32"), (name, "1")])), 400);

        Assert.True(problem.GetProperty("errors").TryGetProperty(new string('y', 64) + "…", out _), problem.ToString());
        Assert.DoesNotContain(name, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MalformedJson_IsAnsweredInFixedWords_WithoutTheParsersMessage()
    {
        var client = await factory.ReadyClientAsync();

        var problem = await Api.ProblemAsync(await client.PostAsync("/cam", new StringContent("{\"image\": tru", Encoding.UTF8, "application/json")), 400);

        var detail = problem.GetProperty("detail").GetString();
        Assert.StartsWith("The body is not valid JSON", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("'", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MalformedMultipart_IsAnsweredInFixedWords_WithoutTheParsersMessage()
    {
        var client = await factory.ReadyClientAsync();
        // A part with headers but no Content-Disposition: the form reader refuses it.
        var body = new ByteArrayContent(Encoding.ASCII.GetBytes("--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--\r\n"));
        body.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=b");

        var problem = await Api.ProblemAsync(await client.PostAsync("/cam", body), 400);

        Assert.Equal("The multipart/form-data body cannot be read.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task NoProblem_NamesAFolderOfTheServer()
    {
        var client = await factory.ReadyClientAsync();

        var failed = await Api.ProblemAsync(await client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(), fields: ("models", "broken"))), 503);
        var models = await client.GetStringAsync("/models");

        Assert.Contains("broken.onnx", failed.GetProperty("detail").GetString(), StringComparison.Ordinal);
        foreach (var text in new[] { failed.ToString(), models })
        {
            Assert.DoesNotContain(factory.ModelsDirectory, text, StringComparison.Ordinal);
            Assert.DoesNotContain(Path.GetTempPath(), text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task EveryProblem_CarriesTheTraceId_UnderWhichTheLogHasTheCause()
    {
        var sink = new CollectingSink();
        using var logged = factory.WithWebHostBuilder(builder => builder.ConfigureTestServices(services => services.AddSingleton<ILogEventSink>(sink)));
        await logged.Services.GetRequiredService<Models.ModelRegistry>().Loaded.WaitAsync(TimeSpan.FromMinutes(5));
        var client = logged.CreateClient();
        var png = TestImages.RedTopLeftPng(64);
        var requests = new (HttpContent Body, int Status)[]
        {
            (new StringContent("{\"image\": tru", Encoding.UTF8, "application/json"), 400),
            (Api.Form(TestImages.RedTopLeftPng(), fields: ("models", "vgg99")), 404),
            (Api.Form(Encoding.UTF8.GetBytes("not a picture"), fields: ("models", "colour32")), 415),
            (Api.Form(png[..(png.Length / 2)], fields: ("models", "colour32")), 422),
        };

        foreach (var (body, status) in requests)
        {
            var problem = await Api.ProblemAsync(await client.PostAsync("/cam", body), status);
            var traceId = problem.GetProperty("traceId").GetString();
            Assert.False(string.IsNullOrEmpty(traceId));
            var events = sink.Events.Where(e => e.Properties.TryGetValue("TraceId", out var id) && id is ScalarValue { Value: string s } && s == traceId).ToList();
            var cause = Assert.Single(events);
            Assert.Equal(problem.GetProperty("detail").GetString(), (cause.Properties["Detail"] as ScalarValue)?.Value);
            if (status == 400)
            {
                // How the body failed to parse stays here, not in the answer.
                Assert.IsType<JsonException>(cause.Exception, exactMatch: false);
            }
        }
    }

    [Fact]
    public async Task ServiceKeepsServing_AfterBadInput()
    {
        var client = await factory.ReadyClientAsync();
        for (var i = 0; i < 3; i++)
        {
            await client.PostAsync("/cam", Api.Form(Encoding.UTF8.GetBytes("garbage")));
        }
        var answer = await client.CamAsync(TestImages.RedTopLeftPng(), ("models", "colour32"));
        Assert.Single(answer.Results);
    }

    static byte[] Encode(SixLabors.ImageSharp.Formats.IImageEncoder encoder)
    {
        using var image = new Image<Rgb24>(16, 16);
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }
}

/// <summary>Limits are configuration: a small body limit and a small pixel limit answer 413.</summary>
public sealed class LimitTests
{
    [Fact]
    public async Task BodyOverTheLimit_Is413()
    {
        using var factory = new ConfiguredFactory(new() { ["Cam:MaxBodyBytes"] = "4096" });
        var client = await factory.ReadyClientAsync();
        var big = TestImages.Png(TestImages.Noise(128, 128));
        Assert.True(big.Length > 4096);
        await Api.ProblemAsync(await client.PostAsync("/cam", Api.Form(big, fields: ("models", "colour32"))), 413);

        var json = "{\"image\":\"" + Convert.ToBase64String(big) + "\"}";
        await Api.ProblemAsync(await client.PostAsync("/cam", new StringContent(json, Encoding.UTF8, "application/json")), 413);
    }

    [Fact]
    public async Task PixelsOverTheLimit_Are413_BeforeDecoding()
    {
        using var factory = new ConfiguredFactory(new() { ["Cam:MaxPixels"] = "1000" });
        var client = await factory.ReadyClientAsync();
        var problem = await Api.ProblemAsync(await client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(64), fields: ("models", "colour32"))), 413);
        Assert.Contains("4,096", problem.GetProperty("detail").GetString()!.Replace("4096", "4,096"));
        Assert.Single((await client.CamAsync(TestImages.RedTopLeftPng(28), ("models", "colour32"))).Results);
    }
}
