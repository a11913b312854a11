using System.Globalization;
using System.Net;
using CamService.Cam;
using CamService.Testing;
using CamService.Traffic;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CamService.Tests;

/// <summary>
/// Admission control: a request takes an explanation slot only once its body is read and checked, so uploads
/// in progress never keep others from being served; uploads have a budget of their own (bytes held at once, a
/// read deadline, Kestrel's minimum data rate); at most Cam:MaxConcurrentRequests explanations run at once and
/// what can be served within Cam:MaxQueueWaitSeconds waits (QueueAdmissionTests), the rest are refused at once
/// with a 503 problem and Retry-After, and the cheap
/// endpoints answer all the while. A test holds a slot as a request does, through <see cref="ExplainAdmission"/>.
/// </summary>
public sealed class AdmissionTests
{
    static MultipartFormDataContent Photo(string model = "colour32") => Api.Form(TestImages.RedTopLeftPng(), fields: ("models", model));

    [Fact]
    public async Task UploadsInProgress_TakeNoSlot_ANormalRequestIsServedBesideThem()
    {
        using var factory = new ConfiguredFactory(new() { ["Cam:MaxConcurrentRequests"] = "1", ["Cam:QueueLimit"] = "0" });
        await factory.ReadyClientAsync();
        // The plain test client: the default one buffers request bodies (to replay them on redirects).
        var client = factory.Server.CreateClient();
        var budget = factory.Services.GetRequiredService<UploadBudget>();
        var admission = factory.Services.GetRequiredService<ExplainAdmission>();

        // Three uploads stall after their first bytes, more than there are slots ...
        var held = Enumerable.Range(0, 3).Select(_ => new HeldContent(Photo())).ToList();
        var holders = held.Select(h => client.PostAsync("/cam", h)).ToList();
        await Wait.Until(() => budget.Requests == 3);
        Assert.Equal(0, admission.Running);
        Assert.Equal(held.Sum(h => (long)h.Length), budget.ReservedBytes);

        // ... and a normal request is served meanwhile, through the only slot.
        using (var response = await client.PostAsync("/cam", Photo()))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Each held upload takes the slot in turn once it has arrived; with no queue, all but one may be refused.
        held.ForEach(h => h.Release());
        foreach (var holder in holders)
        {
            using var response = await holder;
            Assert.Contains(response.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable });
        }
        await Wait.Until(() => budget.Requests == 0);
        Assert.Equal(0, budget.ReservedBytes);
        Assert.Equal(0, admission.Running);
    }

    [Fact]
    public async Task FullService_RefusesAtOnce_With503AndRetryAfter_AndQueuesUpToItsLimit()
    {
        using var factory = new ConfiguredFactory(new() { ["Cam:MaxConcurrentRequests"] = "1", ["Cam:QueueLimit"] = "1", ["Cam:RetryAfterSeconds"] = "3" });
        await factory.ReadyClientAsync();
        var client = factory.Server.CreateClient();
        var gate = factory.Services.GetRequiredService<ShutdownGate>();
        var admission = factory.Services.GetRequiredService<ExplainAdmission>();

        // Work holds the only slot ...
        var slot = await admission.EnterAsync(CancellationToken.None);
        Assert.Equal(1, gate.InFlight);

        // ... so of two more read requests, one waits in the queue and the other is refused.
        var queued = client.PostAsync("/cam", Photo());
        await Wait.Until(() => admission.Queued == 1);
        Assert.Equal(2, gate.InFlight);
        using (var response = await client.PostAsync("/cam", Photo("colour48")))
        {
            var problem = await Api.ProblemAsync(response, 503);
            Assert.Equal("Busy", problem.GetProperty("title").GetString());
            // Its Retry-After is its predicted wait (two service times on one slot), not Cam:RetryAfterSeconds.
            var predicted = 2 * admission.ServiceTimeSeconds;
            var retryAfter = (int)Math.Max(1, Math.Ceiling(predicted));
            Assert.Equal($"All 1 explanation slots and all 1 places in the queue are taken (Cam:MaxConcurrentRequests, Cam:QueueLimit). Retry after {retryAfter} s.",
                problem.GetProperty("detail").GetString());
            Assert.Equal(TimeSpan.FromSeconds(retryAfter), response.Headers.RetryAfter?.Delta);
        }
        Assert.False(queued.IsCompleted);

        // Health, the models, metrics and the page are never limited.
        foreach (var path in new[] { "/health/live", "/health/ready", "/models", "/models/colour32/labels", "/metrics", "/", "/swagger/v1/swagger.json" })
        {
            using var response = await client.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path} answered {(int)response.StatusCode} while /cam was full");
        }

        // Once the slot is free, the queued request is served.
        slot.Dispose();
        using (var response = await queued)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        await Wait.Until(() => gate.InFlight == 0);
        Assert.Equal(0, admission.Running);
    }

    [Fact]
    public async Task AFileItsHeaderRefuses_IsAnsweredWithoutASlot()
    {
        using var factory = new ConfiguredFactory(new() { ["Cam:MaxConcurrentRequests"] = "1", ["Cam:QueueLimit"] = "1", ["Cam:MaxPixels"] = "1000" })
            .WithWebHostBuilder(builder => builder.ConfigureTestServices(services => services.AddSingleton<IServiceTime>(new FixedServiceTime(0.5))));
        await factory.Services.GetRequiredService<Models.ModelRegistry>().Loaded;
        var client = factory.Server.CreateClient();
        var admission = factory.Services.GetRequiredService<ExplainAdmission>();

        // Every slot taken: a request that needed one would wait in the queue.
        using (await admission.EnterAsync(CancellationToken.None))
        {
            // Over the pixel limit by its header alone, not an image format, a header that cannot be read.
            var png = TestImages.RedTopLeftPng(64);
            var damaged = png[..20];
            foreach (var (path, bytes, status) in new[]
                     {
                         ("/cam", png, 413), ("/cam/animation", png, 413),
                         ("/cam", "GIF89a not really"u8.ToArray(), 415), ("/cam", damaged, 422),
                     })
            {
                await Api.ProblemAsync(await client.PostAsync(path, Api.Form(bytes, fields: ("models", "colour32"))), status);
            }
            Assert.Equal(1, admission.Running);
            Assert.Equal(0, admission.Queued);
        }
    }

    [Fact]
    public async Task WhenTheSlotsAndQueueWouldRefuse_ARequestIsRefusedOnArrival_BeforeItsBodyIsRead()
    {
        using var factory = new ConfiguredFactory(new() { ["Cam:MaxConcurrentRequests"] = "1", ["Cam:QueueLimit"] = "0" });
        var client = await factory.ReadyClientAsync();
        var admission = factory.Services.GetRequiredService<ExplainAdmission>();

        using (await admission.EnterAsync(CancellationToken.None))
        {
            Assert.NotNull(admission.RefusalOnArrival());
            // Not a form at all: read, it would be a 400; refused on arrival, it is never read.
            using var garbage = new ByteArrayContent("not a form"u8.ToArray());
            garbage.Headers.ContentType = new("multipart/form-data") { Parameters = { new("boundary", "x") } };
            var refused = await client.PostAsync("/cam", garbage);
            await Api.ProblemAsync(refused, 503);
            Assert.NotNull(refused.Headers.RetryAfter);
        }
        Assert.Null(admission.RefusalOnArrival());
        using var again = new ByteArrayContent("not a form"u8.ToArray());
        again.Headers.ContentType = new("multipart/form-data") { Parameters = { new("boundary", "x") } };
        await Api.ProblemAsync(await client.PostAsync("/cam", again), 400);
    }

    [Fact]
    public async Task ByDefault_OneSlotPerCore_AndAQueueOfWhatWaitsUpTo2s()
    {
        // The test factory gives every host a queue of its own; this one has the service's defaults, and a service time of 0.5 s.
        var defaults = new CamOptions();
        using var factory = new ConfiguredFactory(new() { ["Cam:QueueLimit"] = defaults.QueueLimit.ToString(CultureInfo.InvariantCulture) })
            .WithWebHostBuilder(builder => builder.ConfigureTestServices(services => services.AddSingleton<IServiceTime>(new FixedServiceTime(0.5))));
        await factory.Services.GetRequiredService<Models.ModelRegistry>().Loaded;
        var client = factory.Server.CreateClient();
        var admission = factory.Services.GetRequiredService<ExplainAdmission>();
        var options = factory.Services.GetRequiredService<IOptions<CamOptions>>().Value;
        var cores = Environment.ProcessorCount;
        Assert.Equal(cores, options.ResolvedMaxConcurrentRequests);
        Assert.Equal(64, CamOptions.DefaultQueueLimit);
        Assert.Equal(CamOptions.DefaultQueueLimit, defaults.QueueLimit);
        Assert.Equal(2, defaults.MaxQueueWaitSeconds);
        Assert.Equal(2, defaults.ResolvedMaxQueueWaitSeconds);
        // A short request deadline lowers the wait budget to half of it: a queued request keeps time to be explained.
        Assert.Equal(0.35, new CamOptions { RequestTimeoutSeconds = 0.7 }.ResolvedMaxQueueWaitSeconds);
        Assert.Equal(1, defaults.RetryAfterSeconds);

        var slots = new List<IDisposable>();
        for (var i = 0; i < cores; i++)
        {
            slots.Add(await admission.EnterAsync(CancellationToken.None));
        }
        // Every slot taken: the requests whose predicted wait is within 2 s queue, min(64, 4 × cores) of them ...
        var fits = Math.Min(64, 4 * cores);
        var queued = Enumerable.Range(0, fits).Select(_ => admission.EnterAsync(CancellationToken.None)).ToList();
        Assert.Equal(fits, admission.Queued);
        Assert.All(queued, q => Assert.False(q.IsCompleted));
        // ... and the next is refused at once over HTTP, with the wait it would have had.
        var detail = (await Api.ProblemAsync(await client.PostAsync("/cam", Photo()), 503)).GetProperty("detail").GetString();
        if (fits < 64)
        {
            Assert.StartsWith($"All {cores} explanation slots are taken and the wait is predicted at 2.", detail);
            Assert.EndsWith("beyond Cam:MaxQueueWaitSeconds (2 s). Retry after 3 s.", detail);
        }
        else
        {
            Assert.StartsWith($"All {cores} explanation slots and all 64 places in the queue are taken", detail);
        }

        slots.ForEach(s => s.Dispose());
        foreach (var slot in queued)
        {
            (await slot).Dispose();
        }
        using var response = await client.PostAsync("/cam", Photo());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task UploadBudget_RefusesABodyThatDoesNotFit_AndIsFreedWhenTheRequestEnds(bool sized)
    {
        // Room for the held body and all but one byte of a second one, which is refused: when it arrives if it
        // declares its length, as its bytes come in if it is sent chunked.
        // Noise, so that two bodies are more than the smallest budget.
        var noise = TestImages.Png(TestImages.Noise(32, 32));
        var held = new HeldContent(Api.Form(noise, fields: ("models", "colour32")));
        var second = new HeldContent(Api.Form(noise, fields: ("models", "colour32")), sized);
        second.Release();
        var room = (held.Length + second.Length - 1).ToString(CultureInfo.InvariantCulture);
        using var factory = new ConfiguredFactory(new()
        {
            ["Cam:MaxBodyBytes"] = room, ["Cam:Upload:MaxBytesInFlight"] = room, ["Cam:RetryAfterSeconds"] = "2",
        });
        await factory.ReadyClientAsync();
        var client = factory.Server.CreateClient();
        var budget = factory.Services.GetRequiredService<UploadBudget>();

        var holder = client.PostAsync("/cam", held);
        await Wait.Until(() => budget.Requests == 1);
        using (var response = await client.PostAsync("/cam", second))
        {
            var problem = await Api.ProblemAsync(response, 503);
            Assert.Equal("Busy", problem.GetProperty("title").GetString());
            Assert.Contains("Cam:Upload:MaxBytesInFlight", problem.GetProperty("detail").GetString());
            Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter?.Delta);
        }
        await Wait.Until(() => budget.Requests == 1);
        Assert.Equal(held.Length, budget.ReservedBytes);

        held.Release();
        using (var response = await holder)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        await Wait.Until(() => budget.Requests == 0);
        Assert.Equal(0, budget.ReservedBytes);
        using (var response = await client.PostAsync("/cam", Photo()))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task StalledUpload_EndsWith408_AtTheReadDeadline_AndGivesItsBytesBack()
    {
        using var factory = new ConfiguredFactory(new() { ["Cam:Upload:TimeoutSeconds"] = "0.5" });
        await factory.ReadyClientAsync();
        var client = factory.Server.CreateClient();
        var budget = factory.Services.GetRequiredService<UploadBudget>();

        var stalled = new HeldContent(Photo());
        using (var response = await client.PostAsync("/cam", stalled))
        {
            var problem = await Api.ProblemAsync(response, 408);
            Assert.Equal("Upload too slow", problem.GetProperty("title").GetString());
            Assert.Equal("The request body did not arrive within 0.5 s (Cam:Upload:TimeoutSeconds).", problem.GetProperty("detail").GetString());
        }
        stalled.Release();
        await Wait.Until(() => budget.Requests == 0);
        Assert.Equal(0, factory.Services.GetRequiredService<ShutdownGate>().InFlight);

        // A body that arrives in time is explained.
        using (var response = await client.PostAsync("/cam", Photo()))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task UploadBelowTheMinimumRate_EndsWith408_OnKestrel()
    {
        // Over a real socket, as the rate is Kestrel's; the read deadline is far off, so only the rate can end the upload.
        using var factory = new ConfiguredFactory(new() { ["Cam:Upload:MinBytesPerSecond"] = "1000", ["Cam:Upload:GraceSeconds"] = "1.5" });
        factory.UseKestrel(0);
        factory.StartServer();
        var address = factory.ClientOptions.BaseAddress;
        var budget = factory.Services.GetRequiredService<UploadBudget>();

        // HttpClient would not return an answer before its body is sent, so the request is written by hand: the
        // headers and the first 64 bytes of a body that declares more, and then nothing.
        using var form = Photo();
        var body = await form.ReadAsByteArrayAsync();
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(address.Host, address.Port);
        var stream = socket.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(
            $"POST /cam HTTP/1.1\r\nHost: {address.Authority}\r\nContent-Type: {form.Headers.ContentType}\r\nContent-Length: {body.Length}\r\n\r\n"));
        await stream.WriteAsync(body.AsMemory(0, 64));

        // The answer, after which the service closes the connection.
        using var reader = new StreamReader(stream);
        var answer = await reader.ReadToEndAsync(new CancellationTokenSource(TimeSpan.FromMinutes(1)).Token);
        Assert.StartsWith("HTTP/1.1 408 ", answer);
        Assert.Contains("Content-Type: application/problem+json", answer);
        Assert.Contains("\"title\":\"Upload too slow\"", answer);
        Assert.Contains("The request body arrived slower than 1000 bytes/s (Cam:Upload:MinBytesPerSecond).", answer);
        await Wait.Until(() => budget.Requests == 0);
    }

    [Theory]
    [InlineData("100", "3", 100.0, 3.0)]
    [InlineData("0", "5", null, null)]
    public void MinimumDataRate_IsKestrels(string bytesPerSecond, string grace, double? expectedRate, double? expectedGrace)
    {
        using var factory = new ConfiguredFactory(new() { ["Cam:Upload:MinBytesPerSecond"] = bytesPerSecond, ["Cam:Upload:GraceSeconds"] = grace });
        var rate = factory.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.MinRequestBodyDataRate;
        Assert.Equal(expectedRate, rate?.BytesPerSecond);
        Assert.Equal(expectedGrace, rate?.GracePeriod.TotalSeconds);
    }

    [Fact]
    public void UploadBudget_BelowTheLargestBody_FailsAtStartUp()
    {
        using var factory = new ConfiguredFactory(new() { ["Cam:MaxBodyBytes"] = "4096", ["Cam:Upload:MaxBytesInFlight"] = "4095" });
        var error = Record.Exception(() => factory.Services);
        Assert.Contains("Cam:Upload:MaxBytesInFlight must be at least Cam:MaxBodyBytes", error?.ToString());
    }
}
