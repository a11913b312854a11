using CamService.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace CamService.Metrics;

/// <summary>
/// GET /metrics in Prometheus' text format: ASP.NET Core's HTTP and admission meters. The exporter is
/// OpenTelemetry's, though only pre-releases of it exist: it names series the Prometheus way (unit suffixes,
/// _total), takes the bucket advice instruments carry, and keeps every series for the host's life; prometheus-net's meter adapter prefixes the meter's name,
/// drops units, ignores advice and forgets a series unchanged for five minutes, such as a model seldom asked for.
/// </summary>
public static class MetricsExtensions
{
    /// <summary>
    /// Buckets, in seconds, for request latencies: a small model's request takes a few milliseconds, a
    /// 12 MP one a few seconds, and the default deadline is 30 s. ASP.NET Core's own advice stops at
    /// 10 s, and 100–300 ms, where a request on the CPU usually lands, gets finer steps.
    /// </summary>
    public static readonly double[] LatencyBuckets =
        [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 15, 20, 30];

    public static IServiceCollection AddPrometheusMetrics(this IServiceCollection services)
    {
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("camservice"))
            .WithMetrics(metrics => metrics
                .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.RateLimiting")
                .AddView("http.server.request.duration", new ExplicitBucketHistogramConfiguration { Boundaries = LatencyBuckets })
                .AddPrometheusExporter());
        return services;
    }

    /// <summary>
    /// Never under admission control, so a busy service is still seen; left out of the request log and of
    /// the HTTP series, which a scrape every 15 s would otherwise fill.
    /// </summary>
    public static WebApplication MapPrometheusMetrics(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint("/metrics")
            .DisableHttpMetrics()
            .WithoutRequestLog();
        return app;
    }
}
