using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using CamService.Access;
using CamService.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CamService.Tests;

/// <summary>
/// Keys and tokens for the explanations (Auth): none needed by default; when on, no key and a wrong key are
/// 401 problems with a challenge, a known key (either header) or a valid JWT is served, the GET endpoints stay
/// public; each client has its own token bucket, answered 429 with Retry-After when empty.
/// </summary>
public sealed class AuthTests(AuthTests.KeyedService keyed) : IClassFixture<AuthTests.KeyedService>
{
    public const string AliceKey = "cs_alice-test-key-0123456789abcdefghijklmnop";
    public const string BobKey = "cs_bob-test-key-0123456789abcdefghijklmnopqrs";
    const string Issuer = "https://issuer.test";
    const string Audience = "camservice";
    static readonly byte[] SigningKey = Encoding.UTF8.GetBytes("a shared HS256 key of at least 32 bytes for the tests");

    /// <summary>The service with keys on: alice's key from configuration, and tokens signed with <see cref="SigningKey"/>.</summary>
    public sealed class KeyedService() : CamServiceFactory(new()
    {
        ["Auth:Enabled"] = "true",
        ["Auth:ApiKeys:0:Name"] = "alice",
        ["Auth:ApiKeys:0:Sha256"] = Sha256(AliceKey),
        ["Auth:Jwt:Issuer"] = Issuer,
        ["Auth:Jwt:Audience"] = Audience,
        ["Auth:Jwt:SigningKey"] = Convert.ToBase64String(SigningKey),
    });

    public static string Sha256(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    static HttpRequestMessage Explain(string path = "/cam", (string Name, string Value)? header = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = Api.Form(TestImages.RedTopLeftPng(), fields: ("models", "colour32")),
        };
        if (header is var (name, value))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return request;
    }

    /// <summary>A request refused by the endpoint itself (415): cheap, and proof that the access rules let it through.</summary>
    static HttpRequestMessage Unreadable((string Name, string Value)? header = null, string path = "/cam")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent("not an image", Encoding.UTF8, "text/plain") };
        if (header is var (name, value))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return request;
    }

    static string Token(byte[] key, DateTime? expires = null, string audience = Audience, string subject = "batch-job")
    {
        var end = expires ?? DateTime.UtcNow.AddMinutes(10);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            Subject = new ClaimsIdentity([new Claim("sub", subject)]),
            IssuedAt = end.AddHours(-1),
            NotBefore = end.AddHours(-1),
            Expires = end,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(key), SecurityAlgorithms.HmacSha256),
        });
    }

    [Fact]
    public async Task KeysOn_NoKeyOrAWrongKey_Is401WithAChallenge_AndAKnownKeyInEitherHeaderIsServed()
    {
        var client = await keyed.ReadyClientAsync();

        foreach (var path in new[] { "/cam", "/cam/animation" })
        {
            using var none = await client.SendAsync(Explain(path));
            var problem = await Api.ProblemAsync(none, 401);
            Assert.Contains("X-Api-Key", problem.GetProperty("detail").GetString());
            Assert.Equal("Bearer realm=\"CamService\"", none.Headers.WwwAuthenticate.ToString());
        }
        foreach (var wrong in new[] { ("X-Api-Key", BobKey), ("Authorization", $"Bearer {BobKey}"), ("X-Api-Key", AliceKey + "x"), ("X-Api-Key", AliceKey.ToUpperInvariant()) })
        {
            using var response = await client.SendAsync(Explain(header: wrong));
            var problem = await Api.ProblemAsync(response, 401);
            Assert.Equal("The API key or token was not accepted.", problem.GetProperty("detail").GetString());
            Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.ToString());
        }

        foreach (var good in new[] { ("X-Api-Key", AliceKey), ("Authorization", $"Bearer {AliceKey}") })
        {
            using var response = await client.SendAsync(Explain(header: good));
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{good.Item1} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
        using (var animation = await client.SendAsync(Explain("/cam/animation", ("X-Api-Key", AliceKey))))
        {
            Assert.Equal(HttpStatusCode.OK, animation.StatusCode);
        }
    }

    [Fact]
    public async Task KeysOn_ValidJwt_IsServed_ExpiredWrongSignatureOrAudience_Is401()
    {
        var client = await keyed.ReadyClientAsync();

        using (var response = await client.SendAsync(Explain(header: ("Authorization", $"Bearer {Token(SigningKey)}"))))
        {
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"A valid token answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
        var otherKey = Encoding.UTF8.GetBytes("another HS256 key, also at least 32 bytes long");
        foreach (var (why, token) in new[]
                 {
                     ("expired", Token(SigningKey, expires: DateTime.UtcNow.AddHours(-1))),
                     ("wrong signature", Token(otherKey)),
                     ("wrong audience", Token(SigningKey, audience: "another-service")),
                 })
        {
            using var response = await client.SendAsync(Unreadable(("Authorization", $"Bearer {token}")));
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"A token with {why} answered {(int)response.StatusCode}.");
            await Api.ProblemAsync(response, 401);
            Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.ToString());
        }
    }

    [Fact]
    public async Task KeysOn_TheGetEndpoints_StayPublic()
    {
        var client = await keyed.ReadyClientAsync();

        foreach (var path in new[] { "/", "/index.js", "/health/live", "/health/ready", "/models", "/models/colour32", "/models/colour32/labels", "/methods", "/metrics", "/swagger/v1/swagger.json" })
        {
            using var response = await client.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path} answered {(int)response.StatusCode} without a key.");
        }
    }

    [Fact]
    public async Task ByDefault_NoKeyIsNeeded_AndNoRateApplies()
    {
        Assert.False(new AccessOptions().Enabled);
        Assert.Equal(0, new AccessOptions().RequestsPerMinute);
        using var factory = new CamServiceFactory();
        var client = await factory.ReadyClientAsync();

        using var response = await client.SendAsync(Explain());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // A key sent to a service without keys is ignored, not refused.
        using var withKey = await client.SendAsync(Explain(header: ("X-Api-Key", "anything")));
        Assert.Equal(HttpStatusCode.OK, withKey.StatusCode);
        Assert.False(factory.Services.GetRequiredService<ClientRateLimit>().Enabled);
    }

    [Fact]
    public async Task OverItsRate_AKeyOrATokensSubjectIs429WithRetryAfter_WhileOthersAreServed()
    {
        // A bucket of 2 that refills one token every 100 minutes: nothing refills within the test.
        using var factory = new ConfiguredFactory(new()
        {
            ["Auth:Enabled"] = "true",
            ["Auth:ApiKeys:0:Name"] = "alice",
            ["Auth:ApiKeys:0:Sha256"] = Sha256(AliceKey),
            ["Auth:ApiKeys:1:Name"] = "bob",
            ["Auth:ApiKeys:1:Sha256"] = Sha256(BobKey),
            ["Auth:Jwt:Issuer"] = Issuer,
            ["Auth:Jwt:Audience"] = Audience,
            ["Auth:Jwt:SigningKey"] = Convert.ToBase64String(SigningKey),
            ["Auth:RequestsPerMinute"] = "0.01",
            ["Auth:Burst"] = "2",
        });
        var client = await factory.ReadyClientAsync();
        var alice = ("X-Api-Key", AliceKey);

        using (var first = await client.SendAsync(Explain(header: alice)))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        using (var second = await client.SendAsync(Unreadable(alice)))
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, second.StatusCode);
        }
        using (var third = await client.SendAsync(Explain(header: alice)))
        {
            var problem = await Api.ProblemAsync(third, 429);
            Assert.Equal("Too many requests", problem.GetProperty("title").GetString());
            Assert.Equal(TimeSpan.FromSeconds(6000), third.Headers.RetryAfter?.Delta);
            Assert.Contains("Retry after 6000 s", problem.GetProperty("detail").GetString());
            Assert.Contains("Auth:RequestsPerMinute", problem.GetProperty("detail").GetString());
        }
        // Her rate is hers: the same key in the other header is still over it, and bob's bucket is full.
        using (var asBearer = await client.SendAsync(Unreadable(("Authorization", $"Bearer {AliceKey}"))))
        {
            await Api.ProblemAsync(asBearer, 429);
        }
        using (var bob = await client.SendAsync(Explain(header: ("X-Api-Key", BobKey))))
        {
            Assert.Equal(HttpStatusCode.OK, bob.StatusCode);
        }
        // A token's client is its subject: a fresh token of the same subject draws on the same bucket.
        for (var i = 0; i < 2; i++)
        {
            using var served = await client.SendAsync(Unreadable(("Authorization", $"Bearer {Token(SigningKey, subject: "batch-job")}")));
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, served.StatusCode);
        }
        using (var refused = await client.SendAsync(Unreadable(("Authorization", $"Bearer {Token(SigningKey, subject: "batch-job")}"))))
        {
            await Api.ProblemAsync(refused, 429);
        }
        using (var other = await client.SendAsync(Unreadable(("Authorization", $"Bearer {Token(SigningKey, subject: "nightly")}"))))
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, other.StatusCode);
        }
        // A refused key is refused before its rate is counted, and reading models is never limited.
        using (var wrong = await client.SendAsync(Unreadable(("X-Api-Key", "nobody"))))
        {
            await Api.ProblemAsync(wrong, 401);
        }
        using (var models = await client.GetAsync("/models"))
        {
            Assert.Equal(HttpStatusCode.OK, models.StatusCode);
        }
    }

    [Fact]
    public async Task Anonymous_ClientsAreLimitedByAddress()
    {
        using var factory = new ConfiguredFactory(new() { ["Auth:RequestsPerMinute"] = "0.01", ["Auth:Burst"] = "1" });
        var server = factory.Server;

        Task<HttpContext> From(string address) => server.SendAsync(context =>
        {
            context.Connection.RemoteIpAddress = IPAddress.Parse(address);
            context.Request.Method = "POST";
            context.Request.Path = "/cam";
            context.Request.ContentType = "text/plain";
            context.Request.Body = new MemoryStream("not an image"u8.ToArray());
        });

        Assert.Equal(StatusCodes.Status415UnsupportedMediaType, (await From("192.0.2.1")).Response.StatusCode);
        var refused = await From("192.0.2.1");
        Assert.Equal(StatusCodes.Status429TooManyRequests, refused.Response.StatusCode);
        Assert.Equal("6000", refused.Response.Headers.RetryAfter.ToString());
        Assert.Equal(StatusCodes.Status415UnsupportedMediaType, (await From("2001:db8::7")).Response.StatusCode);
    }

    [Theory]
    [InlineData("folder")]
    [InlineData("file")]
    public async Task KeysFromAMountedSecret_AreAccepted(string layout)
    {
        using var secret = new TemporaryFolder();
        string path;
        if (layout == "folder")
        {
            // As Kubernetes mounts a Secret: a file per key, beside its own ..data link and timestamped folder.
            File.WriteAllText(Path.Combine(secret.Path, "alice"), Sha256(AliceKey) + "\n");
            File.WriteAllText(Path.Combine(secret.Path, "bob"), Sha256(BobKey));
            Directory.CreateDirectory(Path.Combine(secret.Path, "..2026_12_06_11_00_00.000000001"));
            File.WriteAllText(Path.Combine(secret.Path, "..data"), "not a key");
            path = secret.Path;
        }
        else
        {
            path = Path.Combine(secret.Path, "keys.sha256");
            File.WriteAllText(path, $"# sha256sum-style: hash, then name\n{Sha256(AliceKey)}  alice\n\n{Sha256(BobKey)} bob\n");
        }
        using var factory = new ConfiguredFactory(new() { ["Auth:Enabled"] = "true", ["Auth:ApiKeysFile"] = path });
        var client = factory.CreateClient();

        Assert.Equal(2, factory.Services.GetRequiredService<ApiKeyStore>().Count);
        foreach (var key in new[] { AliceKey, BobKey })
        {
            using var response = await client.SendAsync(Unreadable(("X-Api-Key", key)));
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        }
        using var wrong = await client.SendAsync(Unreadable(("X-Api-Key", "cs_not-a-key")));
        await Api.ProblemAsync(wrong, 401);
    }

    [Theory]
    [InlineData("Auth:Enabled=true", "no key or token issuer is configured")]
    [InlineData("Auth:ApiKeys:0:Name=alice|Auth:ApiKeys:0:Sha256=HASH", "while Auth:Enabled is false")]
    [InlineData("Auth:Jwt:Audience=camservice", "while Auth:Enabled is false")]
    [InlineData("Auth:Enabled=true|Auth:ApiKeys:0:Name=alice|Auth:ApiKeys:0:Sha256=cs_alice-the-key-itself", "not given as a SHA-256 in hex")]
    [InlineData("Auth:Enabled=true|Auth:ApiKeys:0:Name=al ice|Auth:ApiKeys:0:Sha256=HASH", "the name 'al ice' is not")]
    [InlineData("Auth:Enabled=true|Auth:ApiKeys:0:Name=alice|Auth:ApiKeys:0:Sha256=HASH|Auth:ApiKeys:1:Name=alice|Auth:ApiKeys:1:Sha256=0000000000000000000000000000000000000000000000000000000000000000", "'alice' is used 2 times")]
    [InlineData("Auth:Enabled=true|Auth:ApiKeysFile=/nonexistent/camservice-keys", "there is no file or folder /nonexistent/camservice-keys")]
    [InlineData("Auth:Enabled=true|Auth:Jwt:Authority=https://issuer.test", "Auth:Jwt:Audience is required")]
    [InlineData("Auth:Enabled=true|Auth:Jwt:Audience=camservice|Auth:Jwt:Authority=http://issuer.test", "absolute https address")]
    [InlineData("Auth:Enabled=true|Auth:Jwt:Audience=camservice|Auth:Jwt:Issuer=https://issuer.test|Auth:Jwt:SigningKey=c2hvcnQ=", "at least 32 bytes")]
    [InlineData("Auth:Enabled=true|Auth:Jwt:Audience=camservice|Auth:Jwt:Issuer=https://issuer.test", "neither Authority nor SigningKey")]
    [InlineData("Auth:RequestsPerMinute=-1", "RequestsPerMinute")]
    [InlineData("Auth:RequestsPerMinute=601", "RequestsPerMinute")]
    public void HalfConfigured_TheServiceDoesNotStart_AndSaysWhy(string settings, string expected)
    {
        var values = settings.Split('|').Select(s => s.Split('=', 2)).ToDictionary(p => p[0], p => (string?)p[1].Replace("HASH", Sha256(AliceKey), StringComparison.Ordinal));
        using var factory = new ConfiguredFactory(values);

        var exception = Assert.ThrowsAny<OptionsValidationException>(() => factory.CreateClient());
        Assert.Contains(expected, exception.Message, StringComparison.Ordinal);
    }

    /// <summary>A temporary folder removed when disposed.</summary>
    sealed class TemporaryFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("camservice-keys-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
