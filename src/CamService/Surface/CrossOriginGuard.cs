using CamService.Problems;
using Microsoft.Extensions.Options;

namespace CamService.Surface;

/// <summary>
/// Refuses a request that changes or costs something (anything but GET, HEAD and OPTIONS) when a browser sends it
/// for another site's page, unless that page's origin is in Cors:AllowedOrigins. CORS alone would not do: a
/// multipart form POST is a "simple request", which browsers send without asking first, so another page could
/// spend this service's compute through its visitors' browsers and be stopped only from reading the answer.
/// Browsers name the page's origin in Origin and whether it is this one in Sec-Fetch-Site, headers a page's
/// script cannot set; clients that are not browsers send neither and are let through, as is the service's own page.
/// </summary>
public sealed class CrossOriginGuard(IOptions<CrossOriginOptions> options)
{
    public const string FetchSiteHeader = "Sec-Fetch-Site";

    readonly HashSet<string> allowed = options.Value.AllowedOrigins
        .Select(CrossOriginOptions.Normalise).OfType<string>().ToHashSet(StringComparer.Ordinal);

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (Admits(context.Request))
        {
            await next(context);
            return;
        }
        await context.WriteProblemAsync(StatusCodes.Status403Forbidden, "Cross-origin request refused",
            "Browsers may send this request only from this service's own page or from an origin listed in Cors:AllowedOrigins.");
    }

    bool Admits(HttpRequest request)
    {
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
        {
            return true;
        }
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0 && allowed.Contains(CrossOriginOptions.Normalise(origin) ?? origin))
        {
            return true;
        }
        return request.Headers[FetchSiteHeader].ToString() switch
        {
            "same-origin" or "none" => true,
            "same-site" or "cross-site" => false,
            // A browser that predates Fetch Metadata: the page's origin must be this host (the scheme may differ
            // behind a proxy that ends TLS); no Origin at all is a client that is not a browser.
            _ => origin.Length == 0 || IsThisHost(origin, request),
        };
    }

    static bool IsThisHost(string origin, HttpRequest request) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri) && request.Host.HasValue
        && string.Equals(uri.IsDefaultPort ? uri.Host : uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
}
