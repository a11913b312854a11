using System.Globalization;
using CamService.Metrics;
using Microsoft.AspNetCore.Mvc;

namespace CamService.Traffic;

/// <summary>The problems the traffic rules answer with, written the way every other problem is, and counted by reason for /metrics.</summary>
public static class Refusals
{
    /// <summary>503 with Retry-After: the service is full or shutting down; the same request may succeed later (or elsewhere).</summary>
    public static async ValueTask WriteUnavailableAsync(HttpContext context, Refusal reason, string title, string detail, int retryAfterSeconds)
    {
        Count(context, reason);
        await DrainAsync(context);
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        await WriteAsync(context, StatusCodes.Status503ServiceUnavailable, title, detail);
    }

    /// <summary>
    /// Reads a refused request's body to its end before answering. HTTP/1.1 clients send the whole
    /// body before they read the answer, and Kestrel resets a connection whose unread body it cannot
    /// drain within 5 s: a slow client of a 12 MP photo got a connection reset instead of the 503 in
    /// the soak. Reading costs no explanation slot, and the request's deadline bounds it.
    /// </summary>
    static async Task DrainAsync(HttpContext context)
    {
        try
        {
            await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
        }
        catch (Exception e) when (e is IOException or BadHttpRequestException or OperationCanceledException)
        {
            // A body over Kestrel's limit, or a client gone: Kestrel closes the connection as it would have.
        }
    }

    /// <summary>504: the request ran out of its time budget, and its work was stopped.</summary>
    public static Task WriteDeadlineExceededAsync(HttpContext context, double seconds)
    {
        Count(context, Refusal.Deadline);
        return WriteAsync(context, StatusCodes.Status504GatewayTimeout, "Deadline exceeded",
            $"The explanation did not finish within {seconds.ToString(CultureInfo.InvariantCulture)} s (Cam:RequestTimeoutSeconds) and was stopped.").AsTask();
    }

    static void Count(HttpContext context, Refusal reason) => context.RequestServices.GetRequiredService<CamMetrics>().Refused(reason);

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

/// <summary>Why the service turned an explanation away, as /metrics counts it.</summary>
public enum Refusal
{
    /// <summary>Every slot and queue place taken.</summary>
    Busy,

    /// <summary>The shutdown gate is closed.</summary>
    ShuttingDown,

    /// <summary>Past Cam:RequestTimeoutSeconds.</summary>
    Deadline,
}
