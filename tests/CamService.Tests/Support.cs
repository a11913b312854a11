using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CamService.Cam;
using Serilog.Core;
using Serilog.Events;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Tests;

/// <summary>Requests and answers of POST /cam, as a client writes them.</summary>
public static class Api
{
    public static readonly JsonSerializerOptions Json = JsonSerializerOptions.Web;

    public static MultipartFormDataContent Form(byte[] image, string contentType = "image/png", params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(image);
        file.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        form.Add(file, "image", "photo");
        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }
        return form;
    }

    public static async Task<CamResponse> CamAsync(this HttpClient client, byte[] image, params (string Name, string Value)[] fields)
    {
        using var response = await client.PostAsync("/cam", Form(image, fields: fields));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST /cam answered {(int)response.StatusCode}: {body}");
        return JsonSerializer.Deserialize<CamResponse>(body, Json)!;
    }

    /// <summary>Asserts an application/problem+json answer with the status, and returns its body.</summary>
    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, int status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"Expected {status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        return problem;
    }

    /// <summary>A picture of an answer, which must be there.</summary>
    public static Image<Rgba32> Decode(byte[]? picture) => Image.Load<Rgba32>(picture ?? throw new Xunit.Sdk.XunitException("The answer lacks the picture."));
}

/// <summary>Keeps every log event of a host, for tests that assert on what the service logged.</summary>
public sealed class CollectingSink : ILogEventSink
{
    public ConcurrentBag<LogEvent> Events { get; } = [];

    public void Emit(LogEvent logEvent) => Events.Add(logEvent);

    /// <summary>How many events' message templates contain <paramref name="text"/>, with the model named, if one is given.</summary>
    public int Count(string text, string? model = null) => Events.Count(e =>
        e.MessageTemplate.Text.Contains(text, StringComparison.Ordinal) &&
        (model is null || (e.Properties.TryGetValue("Model", out var value) && value is ScalarValue { Value: string name } && name == model)));
}

/// <summary>
/// A request body that sends its first bytes and then waits to be released: an upload in progress for as
/// long as a test needs, with no timing involved. Sent with its Content-Length, or chunked when unsized.
/// </summary>
public sealed class HeldContent : HttpContent
{
    readonly byte[] body;
    readonly bool sized;
    readonly TaskCompletionSource release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public HeldContent(HttpContent content, bool sized = true)
    {
        body = content.ReadAsByteArrayAsync().GetAwaiter().GetResult();
        this.sized = sized;
        Headers.ContentType = content.Headers.ContentType;
    }

    /// <summary>The whole body's length in bytes.</summary>
    public int Length => body.Length;

    public void Release() => release.TrySetResult();

    protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
    {
        await stream.WriteAsync(body.AsMemory(0, 64));
        await stream.FlushAsync();
        await release.Task;
        await stream.WriteAsync(body.AsMemory(64));
    }

    protected override bool TryComputeLength(out long length)
    {
        length = body.Length;
        return sized;
    }
}

public static class Wait
{
    /// <summary>
    /// How long a test waits for a service's models to load: a bound for a hung start, not a timing. Loading
    /// measures thread counts by running each model, which on a machine busy with other builds took over 3 min.
    /// </summary>
    public static readonly TimeSpan ForModels = TimeSpan.FromMinutes(10);

    /// <summary>Waits, 30 s at most unless <paramref name="timeout"/> says, for a condition on the service's state.</summary>
    public static Task Until(Func<bool> condition, TimeSpan? timeout = null) => Until(() => Task.FromResult(condition()), timeout);

    /// <summary>Waits, 30 s at most unless <paramref name="timeout"/> says, for a condition that takes a request to check.</summary>
    public static async Task Until(Func<Task<bool>> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The service never reached the expected state.");
            await Task.Delay(10);
        }
    }
}
