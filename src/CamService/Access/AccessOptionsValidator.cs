using Microsoft.Extensions.Options;

namespace CamService.Access;

/// <summary>
/// Refuses to start with a half-configured "Auth" section: keys or tokens on with nothing to check them
/// against, keys configured while checking is off, a key file that is missing or malformed, or a JWT
/// setup that could accept no token (or any token).
/// </summary>
public sealed class AccessOptionsValidator : IValidateOptions<AccessOptions>
{
    public ValidateOptionsResult Validate(string? name, AccessOptions options)
    {
        var errors = new List<string>();
        var jwt = options.Jwt;
        var anyKeys = options.ApiKeys.Count > 0 || !string.IsNullOrWhiteSpace(options.ApiKeysFile);
        if (!options.Enabled)
        {
            if (anyKeys || jwt.Touched)
            {
                errors.Add("Auth:ApiKeys, Auth:ApiKeysFile or Auth:Jwt is set while Auth:Enabled is false, so nothing would be checked: " +
                           "set Auth:Enabled to true, or remove them.");
            }
            return Result(errors);
        }
        if (!anyKeys && !jwt.Configured)
        {
            errors.Add("Auth:Enabled is true but no key or token issuer is configured: set Auth:ApiKeys, Auth:ApiKeysFile, " +
                       "Auth:Jwt:Authority or Auth:Jwt:SigningKey.");
        }
        if (anyKeys)
        {
            errors.AddRange(ApiKeyStore.Load(options).Errors);
        }
        if (jwt.Touched)
        {
            ValidateJwt(jwt, errors);
        }
        return Result(errors);
    }

    static void ValidateJwt(JwtAccessOptions jwt, List<string> errors)
    {
        var hasAuthority = !string.IsNullOrWhiteSpace(jwt.Authority);
        var hasKey = !string.IsNullOrWhiteSpace(jwt.SigningKey);
        if (hasAuthority == hasKey)
        {
            errors.Add(hasAuthority
                ? "Auth:Jwt: set Authority (an issuer's published keys) or SigningKey (a shared key), not both."
                : "Auth:Jwt: Audience or Issuer is set but neither Authority nor SigningKey, so no token could be checked.");
        }
        if (string.IsNullOrWhiteSpace(jwt.Audience))
        {
            errors.Add("Auth:Jwt:Audience is required: without it a token the issuer made for any other service would be accepted.");
        }
        if (hasAuthority && !(Uri.TryCreate(jwt.Authority, UriKind.Absolute, out var authority) && authority.Scheme == Uri.UriSchemeHttps))
        {
            errors.Add("Auth:Jwt:Authority must be an absolute https address.");
        }
        if (hasKey)
        {
            if (SigningKeyBytes(jwt) is not { Length: >= 32 })
            {
                errors.Add("Auth:Jwt:SigningKey must be base64 of at least 32 bytes (HS256).");
            }
            if (string.IsNullOrWhiteSpace(jwt.Issuer))
            {
                errors.Add("Auth:Jwt:Issuer is required with a SigningKey.");
            }
        }
    }

    /// <summary>The shared signing key's bytes, or null when it is not base64.</summary>
    internal static byte[]? SigningKeyBytes(JwtAccessOptions jwt)
    {
        try
        {
            return Convert.FromBase64String(jwt.SigningKey ?? "");
        }
        catch (FormatException)
        {
            return null;
        }
    }

    static ValidateOptionsResult Result(List<string> errors) => errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
}
