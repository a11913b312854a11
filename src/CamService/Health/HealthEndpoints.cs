using System.Text.Json;
using CamService.Cam;
using CamService.Hosting;
using CamService.Models;
using CamService.Traffic;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CamService.Health;

/// <summary>/health/live (the process answers) and /health/ready (at least one model loaded and warmed), in every environment.</summary>
public static class HealthEndpoints
{
    const string ReadyTag = "ready";

    public static IServiceCollection AddHealth(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<ModelsReadyCheck>("models", tags: [ReadyTag]);
        return services;
    }

    /// <summary>Probes that pass are left out of the request log: an orchestrator sends several a minute; a failing one is logged.</summary>
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteJson })
            .WithTags("Health")
            .WithoutRequestLog();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteJson })
            .WithTags("Health")
            .WithoutRequestLog();
        return app;
    }

    static Task WriteJson(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status.ToString(),
                description = e.Value.Description,
                data = e.Value.Data,
            }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, JsonSerializerOptions.Web));
    }
}

/// <summary>
/// Healthy when at least one model is ready, the models have loaded and the explanation pipeline is warm
/// (<see cref="CamWarmUp"/>: the first requests are then as fast as the later ones), and the service is not
/// shutting down; the data lists
/// every model's status and failure reason, and how many explanations are in flight.
/// </summary>
public sealed class ModelsReadyCheck(ModelRegistry registry, ShutdownGate shutdown, CamWarmUp warmUp) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = registry.Entries.ToDictionary(
            e => e.Id,
            e => (object)(e.Error is null ? e.Status.ToString().ToLowerInvariant() : $"failed: {e.Error}"));
        data["explanationsInFlight"] = shutdown.InFlight;
        var ready = registry.Entries.Count(e => e.Status == ModelStatus.Ready);
        var loading = registry.Entries.Count(e => e.Status == ModelStatus.Loading);
        var result = shutdown.IsClosed
            ? HealthCheckResult.Unhealthy("Shutting down: new explanations are refused", data: data)
            : ready > 0
                ? warmUp.Done.IsCompleted
                    ? HealthCheckResult.Healthy($"{ready} of {registry.Entries.Count} models ready", data)
                    : HealthCheckResult.Unhealthy($"Warming up ({ready} of {registry.Entries.Count} models ready)", data: data)
                : registry.Entries.Count == 0
                    ? HealthCheckResult.Unhealthy($"No *.onnx models in {registry.Directory}", data: data)
                    : loading > 0
                        ? HealthCheckResult.Unhealthy($"Loading models ({loading} of {registry.Entries.Count} still loading)", data: data)
                        : HealthCheckResult.Unhealthy("No model could be loaded", data: data);
        return Task.FromResult(result);
    }
}
