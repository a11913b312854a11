using System.Threading.RateLimiting;
using CamService.Cam;
using CamService.Hosting;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace CamService.Traffic;

/// <summary>
/// What keeps POST /cam honest under real traffic: a limit on explanations at once with an
/// optional queue, refusing the rest at once (ASP.NET Core's rate limiting); a deadline per request (its
/// request timeouts); and a shutdown that stops taking work before it stops serving. Only the
/// endpoints marked <see cref="WithAdmission"/> are limited: health, /models and the page never are.
/// </summary>
public static class TrafficExtensions
{
    const string ExplainPolicy = "explain";

    public static IServiceCollection AddTraffic(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<ShutdownOptions>(configuration, ShutdownOptions.Section);
        services.AddSingleton<ShutdownGate>();
        services.AddHostedService(provider => provider.GetRequiredService<ShutdownGate>());
        services.AddOptions<HostOptions>().Configure<IOptions<ShutdownOptions>>((host, shutdown) =>
            host.ShutdownTimeout = TimeSpan.FromSeconds(shutdown.Value.TimeoutSeconds));

        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<CamOptions>>((limiter, cam) =>
        {
            var options = cam.Value;
            limiter.AddConcurrencyLimiter(ExplainPolicy, concurrency =>
            {
                concurrency.PermitLimit = options.ResolvedMaxConcurrentRequests;
                concurrency.QueueLimit = options.QueueLimit;
                concurrency.QueueProcessingOrder = QueueProcessingOrder.OldestFirst;
            });
            var full = options.QueueLimit == 0
                ? $"All {options.ResolvedMaxConcurrentRequests} explanation slots are taken (Cam:MaxConcurrentRequests)"
                : $"All {options.ResolvedMaxConcurrentRequests} explanation slots and all {options.QueueLimit} places in the queue are taken (Cam:MaxConcurrentRequests, Cam:QueueLimit)";
            limiter.OnRejected = (context, _) => Refusals.WriteUnavailableAsync(context.HttpContext, Refusal.Busy, "Busy",
                $"{full}. Retry after {options.RetryAfterSeconds} s.", options.RetryAfterSeconds);
        });

        services.AddRequestTimeouts();
        services.AddOptions<RequestTimeoutOptions>().Configure<IOptions<CamOptions>>((timeouts, cam) =>
        {
            var seconds = cam.Value.RequestTimeoutSeconds;
            timeouts.AddPolicy(ExplainPolicy, new RequestTimeoutPolicy
            {
                Timeout = TimeSpan.FromSeconds(seconds),
                TimeoutStatusCode = StatusCodes.Status504GatewayTimeout,
                WriteTimeoutResponse = context => Refusals.WriteDeadlineExceededAsync(context, seconds),
            });
        });
        return services;
    }

    /// <summary>
    /// The gate first, so that shutdown refuses before anything queues; then deadlines, so that time
    /// spent in the queue counts against a request's budget too; then the limit.
    /// </summary>
    public static WebApplication UseTraffic(this WebApplication app)
    {
        var gate = app.Services.GetRequiredService<ShutdownGate>();
        app.UseWhen(context => context.GetEndpoint()?.Metadata.GetMetadata<Admitted>() is not null,
            admitted => admitted.Use(gate.PassAsync));
        app.UseRequestTimeouts();
        app.UseRateLimiter();
        return app;
    }

    /// <summary>
    /// Puts an endpoint under admission control: refused while shutting down, at most
    /// Cam:MaxConcurrentRequests at once plus Cam:QueueLimit waiting, and Cam:RequestTimeoutSeconds each.
    /// </summary>
    public static RouteHandlerBuilder WithAdmission(this RouteHandlerBuilder endpoint)
    {
        endpoint.WithMetadata(new Admitted())
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status504GatewayTimeout);
        endpoint.RequireRateLimiting(ExplainPolicy);
        endpoint.WithRequestTimeout(ExplainPolicy);
        return endpoint;
    }

    /// <summary>Marks the endpoints under admission control.</summary>
    sealed class Admitted;
}
