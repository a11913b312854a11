using CamService.Problems;
using Microsoft.Extensions.Primitives;

namespace CamService.Surface;

/// <summary>
/// Answers only for the host names AllowedHosts lists (<c>;</c>-separated; <c>*</c> for any, <c>*.example.org</c> for its
/// subdomains; a request without a Host header passes, as in ASP.NET Core), others with a 400 problem that does not echo
/// the name. ASP.NET Core's own host filter applies the same rule but answers with an empty or HTML 400 from before the
/// service's pipeline, where no problem can be written; so the service turns that filter off and applies the rule here.
/// </summary>
public sealed class HostNameGuard
{
    public const string Key = "AllowedHosts";

    readonly StringSegment[] patterns;

    public HostNameGuard(IConfiguration configuration)
    {
        var hosts = (configuration[Key] ?? "*").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        patterns = hosts.Length == 0 || hosts.Contains("*") ? [] : [.. hosts.Select(h => new StringSegment(h))];
    }

    /// <summary>Whether any host name is answered.</summary>
    public bool AnyHost => patterns.Length == 0;

    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var host = context.Request.Host;
        if (AnyHost || !host.HasValue || HostString.MatchesAny(new StringSegment(host.Host), patterns))
        {
            return next(context);
        }
        return context.WriteProblemAsync(StatusCodes.Status400BadRequest, "Unknown host",
            "This service does not answer for the host name in the request (AllowedHosts).").AsTask();
    }
}
