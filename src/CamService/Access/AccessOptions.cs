using System.ComponentModel.DataAnnotations;

namespace CamService.Access;

/// <summary>
/// Configuration section "Auth": who may ask for explanations, and how often. Keys and tokens are off by
/// default, so that a local run needs nothing; a deployment on an open network turns them on
/// (deploy/kubernetes does, from a Secret). The per-client rate applies whether or not keys are on.
/// </summary>
public sealed class AccessOptions
{
    public const string Section = "Auth";

    /// <summary>
    /// Whether POST /cam and POST /cam/animation need an API key or a JWT (default false). When true, at least
    /// one of <see cref="ApiKeys"/>, <see cref="ApiKeysFile"/> and <see cref="Jwt"/> must be configured; when
    /// false, none may be, so that a key meant to protect the service is never silently ignored.
    /// </summary>
    public bool Enabled { get; set; }

    /// <summary>Keys by name, each as the SHA-256 of the key (never the key itself).</summary>
    public List<ApiKeyEntry> ApiKeys { get; set; } = [];

    /// <summary>
    /// A file or folder of more key hashes, read at start-up: a folder holds a file per key, named after the
    /// key and holding its SHA-256 (a mounted Kubernetes Secret); a file holds lines "SHA256 NAME", as
    /// sha256sum writes them. Empty lines and lines starting with '#' are skipped.
    /// </summary>
    public string? ApiKeysFile { get; set; }

    /// <summary>JWT bearer tokens from an issuer the service trusts.</summary>
    public JwtAccessOptions Jwt { get; set; } = new();

    /// <summary>
    /// Explanations each client may ask for per minute, on average: a client is its key's name or its token's
    /// subject, or its address when anonymous. 0 (the default) sets no per-client limit, only the global slots.
    /// At most 600 (one token every 100 ms, the partitioned limiter's finest refill step). Each instance
    /// counts on its own: behind a load balancer over N instances a client may get up to N times this.
    /// </summary>
    [Range(0, 600)]
    public double RequestsPerMinute { get; set; }

    /// <summary>How many explanations a client may ask for at once before its rate applies (the token bucket's size, default 10).</summary>
    [Range(1, 100_000)]
    public int Burst { get; set; } = 10;
}

/// <summary>One API key: the name it is known by (in logs and in its rate's partition), and the SHA-256 of the key in hex.</summary>
public sealed class ApiKeyEntry
{
    public string Name { get; set; } = "";

    public string Sha256 { get; set; } = "";
}

/// <summary>
/// Configuration section "Auth:Jwt": either an OpenID Connect <see cref="Authority"/> whose published keys
/// sign the tokens, or a shared <see cref="SigningKey"/> (HS256) with an <see cref="Issuer"/>; an
/// <see cref="Audience"/> either way.
/// </summary>
public sealed class JwtAccessOptions
{
    /// <summary>The issuer's address (https), e.g. https://login.example.com/realms/main: its metadata gives the signing keys.</summary>
    public string? Authority { get; set; }

    /// <summary>The audience the tokens must name (the service's client id at the issuer).</summary>
    public string? Audience { get; set; }

    /// <summary>The issuer the tokens must name, with <see cref="SigningKey"/>; with an authority, its metadata says.</summary>
    public string? Issuer { get; set; }

    /// <summary>A shared HS256 key in base64 (at least 32 bytes), instead of an authority.</summary>
    public string? SigningKey { get; set; }

    /// <summary>Whether tokens are accepted at all: an authority or a signing key is configured.</summary>
    public bool Configured => !string.IsNullOrWhiteSpace(Authority) || !string.IsNullOrWhiteSpace(SigningKey);

    /// <summary>Whether anything of this section is set.</summary>
    public bool Touched => Configured || !string.IsNullOrWhiteSpace(Audience) || !string.IsNullOrWhiteSpace(Issuer);
}
