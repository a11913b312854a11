using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Mvc;

namespace CamService.Access;

/// <summary>
/// Answers a request the access policy turned away as every other error is answered: a problem, here 401
/// with the schemes' WWW-Authenticate challenge, saying whether a key was missing or not accepted (never why
/// a token failed: that is in the log).
/// </summary>
public sealed class AccessRefusals(IProblemDetailsService problems) : IAuthorizationMiddlewareResultHandler
{
    readonly AuthorizationMiddlewareResultHandler standard = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        // The standard handler challenges (status and WWW-Authenticate), or calls the endpoint. The policy asks
        // only for an authenticated client, so it never forbids.
        await standard.HandleAsync(next, context, policy, authorizeResult);
        if (!authorizeResult.Challenged || context.Response.HasStarted)
        {
            return;
        }
        // The handlers keep their result for the request: this is not a second check.
        var presented = (await context.AuthenticateAsync(AccessExtensions.Scheme)).Failure is not null;
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "Unauthorized",
                Detail = presented
                    ? "The API key or token was not accepted."
                    : $"Explanations need an API key: send it as '{ApiKeyHandler.HeaderName}: KEY' or 'Authorization: Bearer KEY' (or a JWT as 'Authorization: Bearer TOKEN').",
            },
        });
    }
}
