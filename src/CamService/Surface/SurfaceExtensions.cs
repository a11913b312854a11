using System.Net;
using CamService.Hosting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace CamService.Surface;

/// <summary>
/// What the service shows the open network beyond its endpoints: the secure headers on every answer, which
/// proxies' forwarded headers count, and which other web origins' pages may call it (CORS and the cross-origin
/// guard), and which host names it answers for (AllowedHosts, <see cref="HostNameGuard"/>).
/// </summary>
public static class SurfaceExtensions
{
    public static IServiceCollection AddSurface(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<ProxyOptions>(configuration, ProxyOptions.Section);
        services.AddValidatedOptions<CrossOriginOptions>(configuration, CrossOriginOptions.Section);
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ProxyOptions>>((forwarded, proxies) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // Only the configured proxies: ASP.NET Core's defaults trust loopback, which a sidecar could use.
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in proxies.Value.KnownProxies)
            {
                forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
            }
            foreach (var network in proxies.Value.KnownNetworks)
            {
                forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });
        services.AddCors();
        services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>().Configure<IOptions<CrossOriginOptions>>((cors, origins) =>
            cors.AddDefaultPolicy(policy => policy
                .WithOrigins(origins.Value.AllowedOrigins)
                .WithMethods(HttpMethods.Get, HttpMethods.Post)
                .AllowAnyHeader()
                .WithExposedHeaders("Retry-After", "Server-Timing")
                .SetPreflightMaxAge(TimeSpan.FromMinutes(10))));
        services.AddSingleton<CrossOriginGuard>();
        services.AddSingleton<HostNameGuard>();
        // ASP.NET Core's filter, from the same key, answers with no problem: the guard applies the rule instead.
        services.PostConfigure<Microsoft.AspNetCore.HostFiltering.HostFilteringOptions>(options => options.AllowedHosts = ["*"]);
        return services;
    }

    /// <summary>
    /// First in the pipeline, so that the request log and everything after it see the client's address and
    /// scheme; a no-op unless ForwardedHeaders:KnownProxies or KnownNetworks names a proxy.
    /// </summary>
    public static WebApplication UseForwardedHeadersFromProxies(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<ProxyOptions>>().Value.Enabled)
        {
            app.UseForwardedHeaders();
        }
        return app;
    }

    /// <summary>
    /// The secure headers, then the refusal of unknown host names, then CORS for the allowed origins, then the refusal
    /// of every other origin's POSTs.
    /// </summary>
    public static WebApplication UseSurface(this WebApplication app)
    {
        app.Use(SecurityHeaders.AddAsync);
        app.Use(app.Services.GetRequiredService<HostNameGuard>().InvokeAsync);
        app.UseCors();
        var guard = app.Services.GetRequiredService<CrossOriginGuard>();
        app.Use(guard.InvokeAsync);
        return app;
    }
}
