using CamService.Hosting;
using CamService.Problems;
using Microsoft.Extensions.Options;
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
    public static IServiceCollection AddPrometheusMetrics(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<MetricsOptions>(configuration, MetricsOptions.Section);
        services.AddSingleton<CamMetrics>();
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("camservice"))
            .WithMetrics(metrics => metrics
                .AddMeter(CamMetrics.MeterName, "Microsoft.AspNetCore.Hosting")
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
            .WithoutRequestLog()
            .WithMetadata(new Scrape());
        return app;
    }

    /// <summary>
    /// With Metrics:Port set, keeps /metrics and everything else apart: /metrics only on that port, nothing else
    /// on it (404 both ways). By the port the connection came in on, not by the Host header, which a client
    /// writes. Before the page's static files, which the metrics port does not serve either.
    /// </summary>
    public static WebApplication UseMetricsPort(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<MetricsOptions>>().Value.Port is not { } port)
        {
            return app;
        }
        app.Use(async (context, next) =>
        {
            var scrape = context.GetEndpoint()?.Metadata.GetMetadata<Scrape>() is not null;
            var onMetricsPort = context.Connection.LocalPort == port;
            if (scrape == onMetricsPort)
            {
                await next(context);
                return;
            }
            await context.WriteProblemAsync(StatusCodes.Status404NotFound, "Not found", onMetricsPort
                ? "This port serves GET /metrics only (Metrics:Port)."
                : "GET /metrics is served on a port of its own (Metrics:Port), not on this one.");
        });
        return app;
    }

    /// <summary>Marks the scraping endpoint.</summary>
    sealed class Scrape;
}
