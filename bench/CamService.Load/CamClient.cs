using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace CamService.Load;

/// <summary>What one request sends: a photo, a truncated JPEG, or the 224 px photo for a model that does not exist.</summary>
internal enum RequestKind { Photo224, Photo1Mp, Photo12Mp, Corrupt, UnknownModel }

internal sealed record Photos(string Photo224, string Photo1Mp, string Photo12Mp, string Corrupt)
{
    public IEnumerable<(RequestKind Kind, string Path)> Files =>
        [(RequestKind.Photo224, Photo224), (RequestKind.Photo1Mp, Photo1Mp), (RequestKind.Photo12Mp, Photo12Mp), (RequestKind.Corrupt, Corrupt)];
}

/// <summary>
/// One finished request: its HTTP status (0 when no response came), the time from sending until the
/// whole body was read, why the answer was malformed (null when it was well formed), and the wait a
/// 503 asked for with Retry-After (null when it asked for none), and the answer's Server-Timing (null when it had none).
/// </summary>
internal readonly record struct Outcome(RequestKind Kind, int Status, double LatencyMs, string? Malformed, TimeSpan? RetryAfter, string? Timing = null);

/// <summary>Sends POST /cam requests over one shared connection pool and checks every answer is complete and well formed.</summary>
internal sealed class CamClient : IDisposable
{
    static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(120);

    readonly HttpClient http;
    readonly Dictionary<RequestKind, (byte[] Bytes, string ContentType, string FileName)> files;

    public CamClient(Uri service, Photos photos, int maxClients)
    {
        http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxClients,
            // Loopback only: never through a proxy from the environment, never redirected elsewhere.
            UseProxy = false,
            AllowAutoRedirect = false,
        })
        { BaseAddress = service, Timeout = RequestTimeout };
        files = photos.Files.ToDictionary(file => file.Kind, file => ReadPhoto(file.Path));
        files[RequestKind.UnknownModel] = files[RequestKind.Photo224];
    }

    public async Task<Outcome> SendAsync(RequestKind kind)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/cam") { Content = Form(kind) };
        // HttpClient.Timeout stops at the headers when the body is streamed; this token covers the body too.
        using var timeout = new CancellationTokenSource(RequestTimeout);
        var clock = Stopwatch.StartNew();
        HttpResponseMessage response;
        try
        {
            // Headers first, so an answer that breaks off mid-body still shows its status.
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            return new Outcome(kind, 0, clock.Elapsed.TotalMilliseconds, Describe(e), null);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            var retryAfter = response.StatusCode == HttpStatusCode.ServiceUnavailable ? RetryAfter(response) : null;
            try
            {
                var body = await response.Content.ReadAsByteArrayAsync(timeout.Token);
                var latency = clock.Elapsed.TotalMilliseconds;
                var timing = response.Headers.TryGetValues("Server-Timing", out var values) ? string.Join(", ", values) : null;
                return new Outcome(kind, status, latency, Check(status, response.Content.Headers.ContentType?.MediaType, body), retryAfter, timing);
            }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
            {
                return new Outcome(kind, status, clock.Elapsed.TotalMilliseconds, Describe(e), retryAfter);
            }
        }
    }

    public void Dispose() => http.Dispose();

    /// <summary>The image alone, so the service explains it with every ready model; an unknown model's request also names one.</summary>
    MultipartFormDataContent Form(RequestKind kind)
    {
        var (bytes, contentType, fileName) = files[kind];
        var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(bytes) { Headers = { ContentType = new MediaTypeHeaderValue(contentType) } }, "image", fileName },
        };
        if (kind == RequestKind.UnknownModel)
        {
            form.Add(new StringContent("no-such-model"), "models");
        }
        return form;
    }

    static (byte[], string, string) ReadPhoto(string path) => (
        File.ReadAllBytes(path),
        path.EndsWith(".png", StringComparison.OrdinalIgnoreCase) ? "image/png" : "image/jpeg",
        Path.GetFileName(path));

    /// <summary>Null when the answer is well formed, else why not.</summary>
    static string? Check(int status, string? mediaType, byte[] body)
    {
        var expectedType = status == 200 ? "application/json" : "application/problem+json";
        if (mediaType != expectedType)
        {
            return $"{status} as {mediaType ?? "no content type"}";
        }
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return $"{status} whose body is not a JSON object";
            }
            if (status == 200)
            {
                return root.TryGetProperty("results", out var results) && results.ValueKind == JsonValueKind.Array && results.GetArrayLength() > 0
                    ? null
                    : "200 without results";
            }
            return root.TryGetProperty("status", out var problemStatus) && problemStatus.ValueKind == JsonValueKind.Number
                && problemStatus.TryGetInt32(out var value) && value == status
                ? null
                : $"{status} whose problem has no status {status}";
        }
        catch (JsonException)
        {
            return $"{status} whose body is not JSON";
        }
    }

    static TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date > DateTimeOffset.UtcNow ? date - DateTimeOffset.UtcNow : TimeSpan.Zero,
        _ => null,
    };

    static string Describe(Exception e) => e is OperationCanceledException
        ? $"no answer within {RequestTimeout.TotalSeconds:F0} s"
        : $"{e.GetType().Name}: {(e.InnerException ?? e).Message}";
}
