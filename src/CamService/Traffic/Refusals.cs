using System.Globalization;
using Microsoft.AspNetCore.Mvc;

namespace CamService.Traffic;

/// <summary>The problems the traffic rules answer with, written the way every other problem is.</summary>
public static class Refusals
{
    /// <summary>503 with Retry-After: the service is full or shutting down; the same request may succeed later (or elsewhere).</summary>
    public static ValueTask WriteUnavailableAsync(HttpContext context, string title, string detail, int retryAfterSeconds)
    {
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return WriteAsync(context, StatusCodes.Status503ServiceUnavailable, title, detail);
    }

    /// <summary>504: the request ran out of its time budget, and its work was stopped.</summary>
    public static Task WriteDeadlineExceededAsync(HttpContext context, double seconds) =>
        WriteAsync(context, StatusCodes.Status504GatewayTimeout, "Deadline exceeded",
            $"The explanation did not finish within {seconds.ToString(CultureInfo.InvariantCulture)} s (Cam:RequestTimeoutSeconds) and was stopped.").AsTask();

    static ValueTask WriteAsync(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        return context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }
}
