using System.Globalization;
using Microsoft.Net.Http.Headers;

namespace CamService.Surface;

/// <summary>
/// OWASP's secure headers on every answer — the page, Swagger UI, JSON, pictures and problems alike. They are
/// set as the answer starts rather than as the request arrives, because the exception handler clears the
/// headers of a request that failed before writing its problem.
/// </summary>
public static class SecurityHeaders
{
    /// <summary>
    /// The page: its ES modules and stylesheets from this origin only, no inline script or style; the pictures it
    /// makes itself as data: and blob: URLs; its only requests go to this origin.
    /// </summary>
    public const string PagePolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>
    /// Swagger UI (Swashbuckle's page): its bundle, presets and index.js from this origin, no inline script. It
    /// applies an inline style, which Chromium blocks under style-src 'self' (the browser test
    /// SwaggerUi_WorksUnderItsContentSecurityPolicy shows it); its stylesheet draws icons as data: SVGs, and
    /// "Try it out" shows the picture an operation answers through a blob: URL.
    /// </summary>
    public const string SwaggerPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>Everything else (JSON, pictures, problems, /metrics): nothing to load, run or embed, should a browser open it.</summary>
    public const string ResourcePolicy = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>A year, as OWASP recommends: browsers remember to use HTTPS for this host once they have met it over HTTPS.</summary>
    public static readonly TimeSpan HstsMaxAge = TimeSpan.FromDays(365);

    public const string SwaggerPrefix = "/swagger";

    /// <summary>The middleware: registers the headers for when the answer starts.</summary>
    public static Task AddAsync(HttpContext context, RequestDelegate next)
    {
        context.Response.OnStarting(static state =>
        {
            Write((HttpContext)state);
            return Task.CompletedTask;
        }, context);
        return next(context);
    }

    static void Write(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = PolicyFor(context);
        headers.XContentTypeOptions = "nosniff";
        // For browsers that predate CSP's frame-ancestors.
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        // Only over HTTPS, as RFC 6797 asks: behind a proxy that ends TLS, the request is HTTPS when the proxy is
        // a configured one (ForwardedHeaders:KnownProxies or KnownNetworks) and says so in X-Forwarded-Proto.
        if (context.Request.IsHttps)
        {
            headers.StrictTransportSecurity = string.Create(CultureInfo.InvariantCulture, $"max-age={(long)HstsMaxAge.TotalSeconds}");
        }
    }

    static string PolicyFor(HttpContext context)
    {
        if (context.Request.Path.StartsWithSegments(SwaggerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return SwaggerPolicy;
        }
        return MediaTypeHeaderValue.TryParse(context.Response.ContentType, out var type) && type.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase)
            ? PagePolicy
            : ResourcePolicy;
    }
}
