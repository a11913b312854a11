using CamService.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace CamService.Metrics;

/// <summary>
/// GET /metrics in Prometheus' text format: ASP.NET Core's HTTP and admission meters and the service's own
/// (<see cref="CamMetrics"/>). The exporter is OpenTelemetry's, though only pre-releases of it exist: it
/// names series the Prometheus way (unit suffixes, _total), takes the bucket advice instruments carry, and
/// keeps every series for the host's life; prometheus-net's meter adapter prefixes the meter's name, drops
/// units, ignores advice and forgets a series unchanged for five minutes, such as a model seldom asked for.
/// </summary>
public static class MetricsExtensions
{
    public static IServiceCollection AddPrometheusMetrics(this IServiceCollection services)
    {
        services.AddSingleton<CamMetrics>();
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("camservice"))
            .WithMetrics(metrics => metrics
                .AddMeter(CamMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.RateLimiting")
                .AddView("http.server.request.duration", new ExplicitBucketHistogramConfiguration { Boundaries = CamMetrics.LatencyBuckets })
                .AddPrometheusExporter());
        return services;
    }

    /// <summary>
    /// Never under admission control, so a busy service is still seen; left out of the request log and of
    /// the HTTP series, which a scrape every 15 s would otherwise fill.
    /// </summary>
    public static WebApplication MapPrometheusMetrics(this WebApplication app)
    {
        // Made now rather than at the first explanation, so that the gauges are there from the first scrape.
        app.Services.GetRequiredService<CamMetrics>();
        app.MapPrometheusScrapingEndpoint("/metrics")
            .DisableHttpMetrics()
            .WithoutRequestLog();
        return app;
    }
}
