using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace CamService.Access;

/// <summary>
/// Authenticates a request by an API key in the X-Api-Key header or as "Authorization: Bearer KEY". No key
/// is no result (the endpoint's policy then challenges); an unknown key is a failure. The identity's name
/// is the key's name, never the key.
/// </summary>
public sealed class ApiKeyHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyStore keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    public const string HeaderName = "X-Api-Key";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var headers = Request.Headers;
        var header = headers[HeaderName];
        string? presented;
        if (header.Count > 0)
        {
            if (header.Count > 1)
            {
                return Task.FromResult(AuthenticateResult.Fail("More than one X-Api-Key header."));
            }
            presented = header.ToString().Trim();
        }
        else
        {
            presented = BearerToken(Request);
        }
        if (presented is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        if (keys.Find(presented) is not { } name)
        {
            return Task.FromResult(AuthenticateResult.Fail("Unknown API key."));
        }
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, name)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.Append(HeaderNames.WWWAuthenticate, Request.Headers.ContainsKey(HeaderName) || BearerToken(Request) is not null
            ? $"Bearer realm=\"{AccessExtensions.Realm}\", error=\"invalid_token\""
            : $"Bearer realm=\"{AccessExtensions.Realm}\"");
        return Task.CompletedTask;
    }

    /// <summary>The token of "Authorization: Bearer TOKEN", or null when there is none.</summary>
    internal static string? BearerToken(HttpRequest request)
    {
        var authorization = request.Headers.Authorization;
        if (authorization.Count != 1)
        {
            return null;
        }
        var value = authorization.ToString();
        const string prefix = "Bearer ";
        return value.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && value.Length > prefix.Length ? value[prefix.Length..].Trim() : null;
    }
}
