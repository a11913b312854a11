using CamService.Cam;
using CamService.Hosting;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CamService.Traffic;

/// <summary>
/// What keeps POST /cam honest under real traffic: uploads with a budget of their own (bytes held at once, a
/// minimum data rate, a read deadline) that take no explanation slot; a limit on explanations at once with a
/// queue for what can be served within a wait budget, asked for once a request's body is read and checked
/// (<see cref="ExplainAdmission"/>), refusing the rest at once; a deadline per request from its arrival (ASP.NET Core's request timeouts); and a
/// shutdown that stops taking work before it stops serving. Only the endpoints marked
/// <see cref="WithAdmission"/> are limited: health, /models and the page never are.
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

        services.AddValidatedOptions<UploadOptions>(configuration, UploadOptions.Section);
        services.AddOptions<UploadOptions>().Validate<IOptions<CamOptions>>((upload, cam) => upload.MaxBytesInFlight >= cam.Value.MaxBodyBytes,
            "Cam:Upload:MaxBytesInFlight must be at least Cam:MaxBodyBytes, or a body the service accepts could never be read.");
        // Kestrel measures every request body's rate; only the explanations' endpoints take one.
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<UploadOptions>>((kestrel, upload) =>
            kestrel.Limits.MinRequestBodyDataRate = upload.Value.MinBytesPerSecond > 0
                ? new MinDataRate(upload.Value.MinBytesPerSecond, TimeSpan.FromSeconds(upload.Value.GraceSeconds))
                : null);
        services.AddSingleton<UploadBudget>();
        services.AddSingleton<UploadGuard>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IServiceTime, MovingServiceTime>();
        services.AddSingleton<ExplainAdmission>();
        services.AddSingleton<RefusalPacer>();

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
    /// The upload's guard first, so that shutdown and a full upload budget refuse before anything is read, and
    /// so that it writes the refusals thrown further in; then deadlines, which start with the upload.
    /// </summary>
    public static WebApplication UseTraffic(this WebApplication app)
    {
        var guard = app.Services.GetRequiredService<UploadGuard>();
        app.UseWhen(context => context.GetEndpoint()?.Metadata.GetMetadata<Admitted>() is not null,
            admitted => admitted.Use(guard.InvokeAsync));
        app.UseRequestTimeouts();
        return app;
    }

    /// <summary>
    /// Puts an endpoint under admission control: its upload within Cam:Upload, refused while shutting down, and
    /// Cam:RequestTimeoutSeconds from its arrival. Its handler takes a slot with <see cref="ExplainAdmission"/>
    /// once its body is read and checked.
    /// </summary>
    public static RouteHandlerBuilder WithAdmission(this RouteHandlerBuilder endpoint)
    {
        endpoint.WithMetadata(new Admitted())
            .ProducesProblem(StatusCodes.Status408RequestTimeout)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status504GatewayTimeout);
        endpoint.WithRequestTimeout(ExplainPolicy);
        return endpoint;
    }

    /// <summary>Marks the endpoints under admission control.</summary>
    sealed class Admitted;
}
