using System.Net;
using CamService.Testing;
using CamService.Traffic;
using Microsoft.Extensions.DependencyInjection;

namespace CamService.Tests;

/// <summary>
/// Admission control: at most Cam:MaxConcurrentRequests explanations at once and Cam:QueueLimit
/// waiting; the rest are refused at once with a 503 problem and Retry-After, and the cheap
/// endpoints answer all the while.
/// </summary>
public sealed class AdmissionTests
{
    [Fact]
    public async Task FullService_RefusesAtOnce_With503AndRetryAfter_AndQueuesUpToItsLimit()
    {
        using var factory = new ConfiguredFactory(new() { ["Cam:MaxConcurrentRequests"] = "1", ["Cam:QueueLimit"] = "1", ["Cam:RetryAfterSeconds"] = "3" });
        await factory.ReadyClientAsync();
        // The plain test client: the default one buffers request bodies (to replay them on redirects).
        var client = factory.Server.CreateClient();
        var gate = factory.Services.GetRequiredService<ShutdownGate>();
        using var slots = new Slots(factory.Services);

        // One explanation holds the only slot (its upload is held back) ...
        var held = new HeldContent(Api.Form(TestImages.RedTopLeftPng(), fields: ("models", "colour32")));
        var holder = client.PostAsync("/cam", held);
        await slots.Until(1);

        // ... so of two more, one waits in the queue and the other is refused.
        var second = client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(), fields: ("models", "colour32")));
        var third = client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(), fields: ("models", "colour48")));
        var refused = await Task.WhenAny(second, third);
        using (var response = await refused)
        {
            var problem = await Api.ProblemAsync(response, 503);
            Assert.Equal("Busy", problem.GetProperty("title").GetString());
            Assert.Contains("Cam:MaxConcurrentRequests", problem.GetProperty("detail").GetString());
            Assert.Equal(TimeSpan.FromSeconds(3), response.Headers.RetryAfter?.Delta);
        }

        // Health, the models, metrics and the page are never limited.
        foreach (var path in new[] { "/health/live", "/health/ready", "/models", "/models/colour32/labels", "/metrics", "/", "/swagger/v1/swagger.json" })
        {
            using var response = await client.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path} answered {(int)response.StatusCode} while /cam was full");
        }

        // Once the slot is free, the held one and the queued one are served.
        held.Release();
        using (var response = await holder)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        using (var response = await (refused == second ? third : second))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.Equal(0, gate.InFlight);
    }

    [Fact]
    public async Task ByDefault_OneSlotPerCore_AndNoQueue()
    {
        // The test factory gives every host a queue; this one has the service's default.
        using var factory = new ConfiguredFactory(new() { ["Cam:QueueLimit"] = new Cam.CamOptions().QueueLimit.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        await factory.ReadyClientAsync();
        var client = factory.Server.CreateClient();
        var gate = factory.Services.GetRequiredService<ShutdownGate>();
        var options = factory.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Cam.CamOptions>>().Value;
        using var taken = new Slots(factory.Services);
        var slots = Environment.ProcessorCount;
        Assert.Equal(slots, options.ResolvedMaxConcurrentRequests);
        Assert.Equal(0, options.QueueLimit);
        Assert.Equal(0, new Cam.CamOptions().QueueLimit);

        var held = Enumerable.Range(0, slots)
            .Select(_ => new HeldContent(Api.Form(TestImages.RedTopLeftPng(), fields: ("models", "colour32")))).ToList();
        var holders = held.Select(h => client.PostAsync("/cam", h)).ToList();
        await taken.Until(slots);
        Assert.Equal(slots, gate.InFlight);
        var problem = await Api.ProblemAsync(await client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(), fields: ("models", "colour32"))), 503);
        Assert.Equal($"All {slots} explanation slots are taken (Cam:MaxConcurrentRequests). Retry after 1 s.",
            problem.GetProperty("detail").GetString());

        held.ForEach(h => h.Release());
        foreach (var holder in holders)
        {
            using var response = await holder;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }
}
