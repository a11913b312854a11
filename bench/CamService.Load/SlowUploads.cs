using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace CamService.Load;

/// <summary>
/// How the slow uploaders fared in one phase: the status of each upload that ended before the phase did (0 when the
/// service closed the connection before an answer could be read, as it does to a client still sending), and how
/// many were still open at the phase's end.
/// </summary>
internal sealed record SlowResult(int Clients, int BytesPerSecond, int BodyBytes, IReadOnlyList<int> Statuses, int OpenAtEnd);

/// <summary>
/// Clients that each upload a whole POST /cam body at a fixed, low rate, one upload after another on
/// connections of their own, for as long as a phase lasts: the attack of a client that costs the service
/// almost no CPU while its request is open. Every byte they send is a real request's: a photo's multipart form.
/// </summary>
internal sealed class SlowUploads : IDisposable
{
    // The rate is kept in steps this long: 300 bytes/s is 30 bytes every 100 ms, as a slow link sends them.
    static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    readonly HttpClient http;
    readonly byte[] body;
    readonly string contentType;
    readonly int bytesPerSecond;

    public SlowUploads(Uri service, string photo, int clients, int bytesPerSecond)
    {
        http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients, UseProxy = false, AllowAutoRedirect = false })
        {
            BaseAddress = service,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        (body, contentType) = Form(File.ReadAllBytes(photo));
        this.bytesPerSecond = bytesPerSecond;
        Clients = clients;
    }

    public int Clients { get; }

    public int BodyBytes => body.Length;

    /// <summary>Runs the slow clients until <paramref name="stop"/> is cancelled; uploads still open then count as unanswered.</summary>
    public async Task<SlowResult> RunAsync(CancellationToken stop)
    {
        var statuses = await Task.WhenAll(Enumerable.Range(0, Clients).Select(async _ =>
        {
            var mine = new List<int?>();
            while (!stop.IsCancellationRequested)
            {
                mine.Add(await UploadAsync(stop));
            }
            return mine;
        }));
        var all = statuses.SelectMany(s => s).ToList();
        return new SlowResult(Clients, bytesPerSecond, body.Length, [.. all.OfType<int>()], all.Count(s => s is null));
    }

    /// <summary>The upload's status; 0 when the connection closed without an answer; null when the phase ended first.</summary>
    async Task<int?> UploadAsync(CancellationToken stop)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/cam") { Content = new ThrottledContent(body, contentType, bytesPerSecond) };
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, stop);
            return (int)response.StatusCode;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return 0;
        }
    }

    public void Dispose() => http.Dispose();

    /// <summary>The multipart body of a request with the photo alone.</summary>
    static (byte[] Body, string ContentType) Form(byte[] photo)
    {
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(photo) { Headers = { ContentType = new MediaTypeHeaderValue("image/jpeg") } }, "image", "photo.jpg" },
        };
        return (form.ReadAsByteArrayAsync().GetAwaiter().GetResult(), form.Headers.ContentType!.ToString());
    }

    /// <summary>A request body sent at a fixed rate, with its Content-Length declared up front as a browser or curl declares it.</summary>
    sealed class ThrottledContent : HttpContent
    {
        readonly byte[] body;
        readonly int bytesPerSecond;

        public ThrottledContent(byte[] body, string contentType, int bytesPerSecond)
        {
            this.body = body;
            this.bytesPerSecond = bytesPerSecond;
            Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            var clock = Stopwatch.StartNew();
            var sent = 0;
            while (sent < body.Length)
            {
                // As many bytes as the rate allows by now, so the average holds however late a step wakes.
                var due = (int)Math.Min(body.Length, (long)(clock.Elapsed.TotalSeconds * bytesPerSecond) + 1);
                if (due > sent)
                {
                    await stream.WriteAsync(body.AsMemory(sent, due - sent), cancellationToken);
                    await stream.FlushAsync(cancellationToken);
                    sent = due;
                }
                await Task.Delay(Step, cancellationToken);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = body.Length;
            return true;
        }
    }
}
