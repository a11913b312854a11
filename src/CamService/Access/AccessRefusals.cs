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
        // The standard handler challenges (status and WWW-Authenticate) or forbids, or calls the endpoint.
        await standard.HandleAsync(next, context, policy, authorizeResult);
        if (!(authorizeResult.Challenged || authorizeResult.Forbidden) || context.Response.HasStarted)
        {
            return;
        }
        // The handlers keep their result for the request: this is not a second check.
        var presented = (await context.AuthenticateAsync(AccessExtensions.Scheme)).Failure is not null;
        var status = authorizeResult.Challenged ? StatusCodes.Status401Unauthorized : StatusCodes.Status403Forbidden;
        context.Response.StatusCode = status;
        await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails
            {
                Status = status,
                Title = status == StatusCodes.Status401Unauthorized ? "Unauthorized" : "Forbidden",
                Detail = status == StatusCodes.Status403Forbidden ? "This key or token may not ask for explanations."
                    : presented ? "The API key or token was not accepted."
                    : $"Explanations need an API key: send it as '{ApiKeyHandler.HeaderName}: KEY' or 'Authorization: Bearer KEY' (or a JWT as 'Authorization: Bearer TOKEN').",
            },
        });
    }
}
