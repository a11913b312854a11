using Serilog;
using Serilog.Events;

namespace CamService.Hosting;

public static class LoggingExtensions
{
    /// <summary>
    /// Serilog, configured from the "Serilog" section, writing structured events to the console. The
    /// logger belongs to this host (the static Log.Logger is left alone), so several hosts in one
    /// process — the tests' — each log to their own sinks.
    /// </summary>
    public static WebApplicationBuilder AddLogging(this WebApplicationBuilder builder)
    {
        builder.Services.AddSerilog(preserveStaticLogger: true, configureLogger: (services, logger) => logger
            .ReadFrom.Configuration(builder.Configuration)
            .ReadFrom.Services(services)
            .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
            .Enrich.FromLogContext()
            .WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}"));
        return builder;
    }

    /// <summary>
    /// One structured event per request: method, path, status, time. Refusals under load (503) and
    /// missed deadlines (504) are warnings: the service chose them, and under overload they come by
    /// the hundred; errors are kept for faults. Endpoints marked <see cref="WithoutRequestLog"/> log only their faults.
    /// </summary>
    public static WebApplication UseRequestLogging(this WebApplication app)
    {
        app.UseSerilogRequestLogging(options =>
        {
            options.Logger = app.Services.GetRequiredService<Serilog.ILogger>();
            options.GetLevel = (context, _, exception) => (exception, context.Response.StatusCode) switch
            {
                (not null, _) => LogEventLevel.Error,
                (_, < 500) when context.GetEndpoint()?.Metadata.GetMetadata<Unlogged>() is not null => LogEventLevel.Verbose,
                (_, StatusCodes.Status503ServiceUnavailable or StatusCodes.Status504GatewayTimeout) => LogEventLevel.Warning,
                (_, >= 500) => LogEventLevel.Error,
                _ => LogEventLevel.Information,
            };
        });
        return app;
    }

    /// <summary>Leaves an endpoint's answers out of the request log unless they are faults: for machines that call every few seconds.</summary>
    public static TBuilder WithoutRequestLog<TBuilder>(this TBuilder endpoint) where TBuilder : IEndpointConventionBuilder =>
        endpoint.WithMetadata(new Unlogged());

    sealed class Unlogged;
}
