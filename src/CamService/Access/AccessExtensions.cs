using CamService.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace CamService.Access;

/// <summary>
/// Who may ask for explanations and how often, through ASP.NET Core's own authentication and authorization:
/// API keys (<see cref="ApiKeyHandler"/>) and JWT bearer tokens (JwtBearer) behind one policy scheme that picks
/// by the request's header, an authorization policy on the endpoints marked <see cref="WithClientAccess"/>, and a
/// per-client token bucket (<see cref="ClientRateLimit"/>). GET endpoints (health, models, methods, the page,
/// the API's documentation) are never asked for a key.
/// </summary>
public static class AccessExtensions
{
    /// <summary>The policy scheme: a JWT-shaped bearer token goes to JwtBearer, anything else to the key handler.</summary>
    public const string Scheme = "ApiKeyOrJwt";

    /// <summary>The realm named in WWW-Authenticate.</summary>
    public const string Realm = "CamService";

    const string Policy = "explain-access";

    public static IServiceCollection AddAccess(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<AccessOptions>(configuration, AccessOptions.Section);
        services.AddSingleton<IValidateOptions<AccessOptions>, AccessOptionsValidator>();
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton<ClientRateLimit>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, AccessRefusals>();

        services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "API key or JWT", _ => { })
            .AddScheme<AuthenticationSchemeOptions, ApiKeyHandler>(ApiKeyHandler.SchemeName, null)
            .AddJwtBearer();
        services.AddOptions<PolicySchemeOptions>(Scheme).Configure<IOptions<AccessOptions>>((scheme, access) =>
        {
            var tokens = access.Value.Jwt.Configured;
            scheme.ForwardDefaultSelector = context =>
                tokens && ApiKeyHandler.BearerToken(context.Request) is { } token && token.Count(c => c == '.') == 2
                    ? JwtBearerDefaults.AuthenticationScheme
                    : ApiKeyHandler.SchemeName;
        });
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure<IOptions<AccessOptions>>((bearer, access) =>
            ConfigureJwt(bearer, access.Value.Jwt));

        services.AddAuthorization();
        services.AddOptions<AuthorizationOptions>().Configure<IOptions<AccessOptions>>((authorization, access) =>
            authorization.AddPolicy(Policy, access.Value.Enabled
                ? new AuthorizationPolicyBuilder(Scheme).RequireAuthenticatedUser().Build()
                : new AuthorizationPolicyBuilder().RequireAssertion(_ => true).Build()));

        services.AddAccessDocumentation();
        return services;
    }

    static void ConfigureJwt(JwtBearerOptions bearer, JwtAccessOptions jwt)
    {
        if (!jwt.Configured)
        {
            return;
        }
        // Claims under their names in the token ("sub", not a long URI).
        bearer.MapInboundClaims = false;
        bearer.Audience = jwt.Audience;
        bearer.TokenValidationParameters.NameClaimType = "sub";
        if (!string.IsNullOrWhiteSpace(jwt.Authority))
        {
            bearer.Authority = jwt.Authority;
            return;
        }
        bearer.TokenValidationParameters.ValidIssuer = jwt.Issuer;
        bearer.TokenValidationParameters.ValidAudience = jwt.Audience;
        bearer.TokenValidationParameters.IssuerSigningKey = new SymmetricSecurityKey(AccessOptionsValidator.SigningKeyBytes(jwt));
        bearer.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
    }

    /// <summary>
    /// Authentication and the policy, then each client's rate: before the traffic rules, so that a request
    /// without a key or over its rate is answered before it takes any of the uploads' or explanations' budget.
    /// </summary>
    public static WebApplication UseAccess(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        var rate = app.Services.GetRequiredService<ClientRateLimit>();
        if (rate.Enabled)
        {
            app.UseWhen(context => context.GetEndpoint()?.Metadata.GetMetadata<ClientAccess>() is not null,
                limited => limited.Use(rate.InvokeAsync));
        }
        return app;
    }

    /// <summary>
    /// Puts an endpoint behind the access rules: an API key or a JWT when Auth:Enabled, and the per-client
    /// rate (Auth:RequestsPerMinute) either way.
    /// </summary>
    public static RouteHandlerBuilder WithClientAccess(this RouteHandlerBuilder endpoint) => endpoint
        .WithMetadata(new ClientAccess())
        .RequireAuthorization(Policy)
        .ProducesProblem(StatusCodes.Status401Unauthorized)
        .ProducesProblem(StatusCodes.Status429TooManyRequests);
}

/// <summary>Marks the endpoints under the access rules.</summary>
public sealed class ClientAccess;
