using System.Globalization;
using System.Text;
using CamService.Metrics;
using CamService.Testing;
using CamService.Traffic;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace CamService.Tests;

/// <summary>
/// GET /metrics after real traffic: the series docs/api.md lists, with the counts the traffic made (all
/// but the admission queue's, which is there only once a request has queued).
/// </summary>
/// <remarks>
/// Alone in its collection: an OpenTelemetry meter provider listens to every meter of the names it is
/// given in the process, so the hosts of tests running alongside would add to these counts.
/// </remarks>
[Collection(nameof(MetricsTests))]
public sealed class MetricsTests
{
    static readonly (string, string)[] CamRoute = [("http_route", "/cam"), ("http_request_method", "POST"), ("http_response_status_code", "200")];

    [Fact]
    public async Task AfterAnExplanation_EverySeriesIsServed()
    {
        using var factory = new CamServiceFactory();
        var client = await factory.ReadyClientAsync();
        // The warm-up explains with every ready model once, in the background: it is counted too.
        var before = await client.ScrapeUntilAsync(s => CamServiceFactory.ReadyModels.All(m => s.Sum(RunCount, ("model", m)) >= 1));

        await client.CamAsync(TestImages.RedTopLeftPng(), ("models", "colour32,colour48"));
        // ASP.NET Core records a request once its answer is sent, which may be after the client has it.
        var after = await client.ScrapeUntilAsync(s => s.Find("http_server_request_duration_seconds_count", CamRoute).Any());

        Assert.Equal("histogram", after.Types["http_server_request_duration_seconds"]);
        Assert.Equal(1, after.Single("http_server_request_duration_seconds_count", CamRoute));
        var buckets = after.Find("http_server_request_duration_seconds_bucket", CamRoute).ToList();
        Assert.Equal(CamMetrics.LatencyBuckets.Select(b => b.ToString(CultureInfo.InvariantCulture)).Append("+Inf"), buckets.Select(b => b.Labels["le"]));
        Assert.Equal(1, buckets[^1].Value);
        Assert.True(after.Single("http_server_request_duration_seconds_sum", CamRoute) > 0);
        Assert.Empty(after.Find("http_server_request_duration_seconds_count", ("http_route", "/metrics")));
        Assert.Equal(0, after.Single("http_server_active_requests", ("http_request_method", "POST")));

        Assert.Equal("histogram", after.Types["camservice_model_run_duration_seconds"]);
        foreach (var (model, runs) in new[] { ("colour32", 1), ("colour48", 1), ("plain32", 0) })
        {
            Assert.Equal(runs, after.Sum(RunCount, ("model", model)) - before.Sum(RunCount, ("model", model)));
            Assert.True(after.Sum("camservice_model_run_duration_seconds_sum", ("model", model)) > 0);
            Assert.All(after.Find(RunCount, ("model", model)), s => Assert.Contains(s.Labels["under_load"], new[] { "true", "false" }));
        }

        Assert.Equal("gauge", after.Types["camservice_models"]);
        Assert.Equal(3, after.Single("camservice_models", ("status", "ready")));
        Assert.Equal(1, after.Single("camservice_models", ("status", "failed")));
        Assert.Equal(0, after.Single("camservice_models", ("status", "loading")));
        Assert.Equal("gauge", after.Types["camservice_cores_waiting"]);
        Assert.Equal(0, after.Single("camservice_cores_waiting"));
        Assert.Equal(0, after.Single("camservice_explanations_running"));
        Assert.Equal(0, after.Single("camservice_explanations_queued"));
        Assert.Equal(0, after.Single("camservice_uploads_reserved_bytes"));
        Assert.Equal(0, after.Single("camservice_uploads_requests"));
        Assert.Empty(after.Find("camservice_requests_refused_total"));
    }

    [Fact]
    public async Task Refusals_AreCountedByReason_AndAScrapeIsNeverRefused()
    {
        using var factory = new ConfiguredFactory(new() { ["Cam:MaxConcurrentRequests"] = "1", ["Cam:QueueLimit"] = "0" });
        await factory.ReadyClientAsync();
        var client = factory.Server.CreateClient();
        var gate = factory.Services.GetRequiredService<ShutdownGate>();
        var slot = await factory.Services.GetRequiredService<ExplainAdmission>().EnterAsync(CancellationToken.None);
        await Api.ProblemAsync(await client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(), fields: ("models", "colour32"))), 503);
        var full = await client.ScrapeUntilAsync(s => s.Find("camservice_requests_refused_total").Any());
        Assert.Equal("counter", full.Types["camservice_requests_refused_total"]);
        Assert.Equal(1, full.Single("camservice_requests_refused_total", ("reason", "busy")));
        Assert.Equal(1, full.Single("camservice_explanations_running"));
        slot.Dispose();

        // The gate closes as on SIGTERM; the scrape is still answered.
        await gate.StoppingAsync(CancellationToken.None);
        await Api.ProblemAsync(await client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(), fields: ("models", "colour32"))), 503);
        var closing = await client.ScrapeUntilAsync(s => s.Find("camservice_requests_refused_total", ("reason", "shutting_down")).Any());
        Assert.Equal(1, closing.Single("camservice_requests_refused_total", ("reason", "shutting_down")));
        Assert.Equal(1, closing.Single("camservice_requests_refused_total", ("reason", "busy")));
    }

    [Fact]
    public async Task TheQueue_ItsPredictedWait_AndTheMeasuredWaits_AreServed()
    {
        using var factory = new ConfiguredFactory(new() { ["Cam:MaxConcurrentRequests"] = "1", ["Cam:QueueLimit"] = "4" })
            .WithWebHostBuilder(builder => builder.ConfigureTestServices(services => services.AddSingleton<IServiceTime>(new FixedServiceTime(0.5))));
        await factory.Services.GetRequiredService<Models.ModelRegistry>().Loaded;
        var client = factory.Server.CreateClient();
        var admission = factory.Services.GetRequiredService<ExplainAdmission>();

        // The only slot held, one request queued behind it: the next would wait two service times.
        var slot = await admission.EnterAsync(CancellationToken.None);
        var queued = client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(), fields: ("models", "colour32")));
        var waiting = await client.ScrapeUntilAsync(s => s.Find("camservice_explanations_queued").Any(q => q.Value == 1));
        Assert.Equal("gauge", waiting.Types["camservice_explanations_predicted_wait_seconds"]);
        Assert.Equal(1.0, waiting.Single("camservice_explanations_predicted_wait_seconds"));
        Assert.Equal(0.5, waiting.Single("camservice_explanations_service_time_seconds"));

        slot.Dispose();
        using (var response = await queued)
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            // The queued request was predicted one service time; Server-Timing says so beside what it waited.
            Assert.Contains("queue-predicted;dur=500.0", string.Join(", ", response.Headers.GetValues("Server-Timing")));
        }
        // The slot held here and the request's: two waits measured, two predicted (0 and 0.5 s), two slots held.
        var after = await client.ScrapeUntilAsync(s => s.Find("camservice_explanations_slot_duration_seconds_count").Any(c => c.Value == 2));
        Assert.Equal("histogram", after.Types["camservice_explanations_queue_wait_seconds"]);
        Assert.Equal(2, after.Single("camservice_explanations_queue_wait_seconds_count"));
        Assert.Equal(2, after.Single("camservice_explanations_queue_predicted_wait_seconds_count"));
        Assert.Equal(0.5, after.Single("camservice_explanations_queue_predicted_wait_seconds_sum"));
        Assert.Equal(0, after.Single("camservice_explanations_predicted_wait_seconds"));
    }

    const string RunCount = "camservice_model_run_duration_seconds_count";
}

[CollectionDefinition(nameof(MetricsTests), DisableParallelization = true)]
public sealed class MetricsCollection;

public static class Scrapes
{
    /// <summary>Scrapes /metrics until it satisfies <paramref name="condition"/>, 30 s at most; the exporter caches a scrape for 300 ms.</summary>
    public static async Task<Exposition> ScrapeUntilAsync(this HttpClient client, Func<Exposition, bool> condition)
    {
        Exposition? scrape = null;
        await Wait.Until(async () =>
        {
            using var response = await client.GetAsync("/metrics");
            response.EnsureSuccessStatusCode();
            Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
            scrape = Exposition.Parse(await response.Content.ReadAsStringAsync());
            return condition(scrape);
        });
        return scrape!;
    }
}

/// <summary>One sample line of the Prometheus text format: a name, its labels and a value.</summary>
public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>The Prometheus text exposition format (version 0.0.4), read line by line: # TYPE lines and samples.</summary>
public sealed class Exposition
{
    public Dictionary<string, string> Types { get; } = [];

    public List<Sample> Samples { get; } = [];

    /// <summary>The samples of that name whose labels include <paramref name="labels"/>, in the order served.</summary>
    public IEnumerable<Sample> Find(string name, params (string Name, string Value)[] labels) =>
        Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Name, out var value) && value == l.Value));

    /// <summary>The value of the one sample that matches.</summary>
    public double Single(string name, params (string Name, string Value)[] labels) => Find(name, labels).Single().Value;

    /// <summary>The values of every sample that matches, added up (0 when none does).</summary>
    public double Sum(string name, params (string Name, string Value)[] labels) => Find(name, labels).Sum(s => s.Value);

    public static Exposition Parse(string text)
    {
        var exposition = new Exposition();
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                exposition.Types.Add(parts[2], parts[3]);
            }
            else if (line.Length > 0 && line[0] != '#')
            {
                exposition.Samples.Add(ParseSample(line));
            }
        }
        return exposition;
    }

    /// <summary>name{label="value",...} value [timestamp], with \\, \" and \n escaped in label values.</summary>
    static Sample ParseSample(string line)
    {
        var at = 0;
        while (at < line.Length && line[at] is not ('{' or ' '))
        {
            at++;
        }
        var name = line[..at];
        var labels = new Dictionary<string, string>();
        if (line[at] == '{')
        {
            at++;
            while (line[at] != '}')
            {
                var equals = line.IndexOf('=', at);
                var label = line[at..equals];
                Assert.Equal('"', line[equals + 1]);
                var value = new StringBuilder();
                for (at = equals + 2; line[at] != '"'; at++)
                {
                    value.Append(line[at] != '\\' ? line[at] : line[++at] switch { 'n' => '\n', var c => c });
                }
                labels.Add(label, value.ToString());
                at++;
                if (line[at] == ',')
                {
                    at++;
                }
            }
            at++;
        }
        var number = line[at..].Trim().Split(' ')[0];
        var parsed = number switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            _ => double.Parse(number, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
        return new Sample(name, labels, parsed);
    }
}
