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

    /// <summary>
    /// 408: the body did not arrive in time (Cam:Upload:TimeoutSeconds) or fast enough (Kestrel's minimum data
    /// rate). Nothing is drained, as a stalled client would hold the answer back, and the connection is closed.
    /// </summary>
    public static ValueTask WriteUploadTooSlowAsync(HttpContext context, string detail)
    {
        Count(context, Refusal.UploadTooSlow);
        if (HttpProtocol.IsHttp11(context.Request.Protocol) || HttpProtocol.IsHttp10(context.Request.Protocol))
        {
            // HTTP/2 and 3 end the stream instead, and forbid the header.
            context.Response.Headers.Connection = "close";
        }
        return WriteAsync(context, StatusCodes.Status408RequestTimeout, "Upload too slow", detail);
    }

    /// <summary>Writes a refusal thrown as a <see cref="RefusedException"/>, with the status its reason calls for.</summary>
    public static ValueTask WriteAsync(HttpContext context, RefusedException refusal) => refusal.Reason == Refusal.UploadTooSlow
        ? WriteUploadTooSlowAsync(context, refusal.Message)
        : WriteUnavailableAsync(context, refusal.Reason, refusal.Title, refusal.Message, refusal.RetryAfterSeconds);

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

    /// <summary>The body would not fit in Cam:Upload:MaxBytesInFlight beside the bodies held already.</summary>
    UploadsFull,

    /// <summary>The body did not arrive within Cam:Upload:TimeoutSeconds, or arrived slower than Cam:Upload:MinBytesPerSecond.</summary>
    UploadTooSlow,
}

/// <summary>
/// A request the traffic rules turn away, thrown where the decision is made (the upload's stream, the
/// admission) and written by the traffic middleware (<see cref="TrafficExtensions.UseTraffic"/>) with
/// <see cref="Refusals.WriteAsync(HttpContext, RefusedException)"/>, so that every refusal is counted and answered alike.
/// </summary>
public sealed class RefusedException(Refusal reason, string title, string detail, int retryAfterSeconds) : Exception(detail)
{
    public Refusal Reason { get; } = reason;

    public string Title { get; } = title;

    /// <summary>The Retry-After of a 503; unused for a 408.</summary>
    public int RetryAfterSeconds { get; } = retryAfterSeconds;
}
