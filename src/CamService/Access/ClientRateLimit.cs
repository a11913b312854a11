using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace CamService.Access;

/// <summary>
/// A token bucket per client (Auth:RequestsPerMinute, Auth:Burst): a key's name or a token's subject once
/// authenticated, else the client's address. It runs after authentication and before the traffic rules, so
/// one client over its rate is answered 429 with Retry-After at once, reading nothing of its upload, and
/// cannot take the global slots (Cam:MaxConcurrentRequests) from the others. Buckets of clients gone quiet
/// are dropped by the limiter itself.
/// </summary>
public sealed class ClientRateLimit : IAsyncDisposable
{
    readonly PartitionedRateLimiter<HttpContext>? limiter;
    readonly TimeSpan period;
    readonly string rate = "";

    public ClientRateLimit(IOptions<AccessOptions> options)
    {
        var access = options.Value;
        if (access.RequestsPerMinute <= 0)
        {
            return;
        }
        period = TimeSpan.FromMinutes(1 / access.RequestsPerMinute);
        rate = string.Create(CultureInfo.InvariantCulture, $"{access.RequestsPerMinute:G4} explanations a minute, {access.Burst} at once");
        var bucket = new TokenBucketRateLimiterOptions
        {
            TokenLimit = access.Burst,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = period,
            QueueLimit = 0,
            AutoReplenishment = true,
        };
        limiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            RateLimitPartition.GetTokenBucketLimiter(Client(context), _ => bucket));
    }

    /// <summary>Whether a per-client rate is configured at all.</summary>
    public bool Enabled => limiter is not null;

    /// <summary>Who a request counts against: "key:NAME", "token:SUBJECT" or "address:IP".</summary>
    public static string Client(HttpContext context)
    {
        var user = context.User;
        if (user.Identity is { IsAuthenticated: true } identity)
        {
            var subject = user.FindFirstValue("sub") ?? identity.Name ?? "";
            return identity.AuthenticationType == ApiKeyHandler.SchemeName ? $"key:{identity.Name}" : $"token:{subject}";
        }
        return $"address:{context.Connection.RemoteIpAddress?.ToString() ?? "unknown"}";
    }

    /// <summary>Lets the request on with one of its client's tokens, or answers 429 with Retry-After.</summary>
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (limiter is null)
        {
            await next(context);
            return;
        }
        using var lease = limiter.AttemptAcquire(context);
        if (lease.IsAcquired)
        {
            await next(context);
            return;
        }
        var wait = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : period;
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Too many requests",
                Detail = $"This client is over its rate of {rate} (Auth:RequestsPerMinute, Auth:Burst). Retry after {seconds} s.",
            },
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (limiter is not null)
        {
            await limiter.DisposeAsync();
        }
    }
}
