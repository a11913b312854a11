using System.Net;
using CamService.Testing;
using Microsoft.Extensions.Options;

namespace CamService.Tests;

/// <summary>
/// POST /cam and /cam/animation from a visitor's browser: refused (403) when another site's page sends them, unless
/// Cors:AllowedOrigins names that site; the service's own page and clients that are not browsers are let through.
/// </summary>
public sealed class CrossOriginTests : IClassFixture<CrossOriginTests.AllowingFactory>
{
    const string Allowed = "https://allowed.example";
    const string Other = "https://other.example";

    readonly AllowingFactory factory;

    public CrossOriginTests(AllowingFactory factory) => this.factory = factory;

    public sealed class AllowingFactory() : CamServiceFactory(new Dictionary<string, string?> { ["Cors:AllowedOrigins:0"] = Allowed });

    public static TheoryData<string, string?, string?> ForeignRequests => new()
    {
        // Path, Origin, Sec-Fetch-Site.
        { "/cam", Other, "cross-site" },
        { "/cam/animation", Other, "cross-site" },
        { "/cam", "https://sub.localhost", "same-site" },
        // A browser without Fetch Metadata: the Origin is not this host.
        { "/cam", Other, null },
        { "/cam", "null", null },
        // A cross-site request whose Origin was dropped (a privacy setting or extension) is still a browser's.
        { "/cam", null, "cross-site" },
    };

    [Theory]
    [MemberData(nameof(ForeignRequests))]
    public async Task AnotherSitesPage_IsRefused(string path, string? origin, string? fetchSite)
    {
        var client = await factory.ReadyClientAsync();

        using var response = await client.SendAsync(Post(path, origin, fetchSite));

        var problem = await Api.ProblemAsync(response, 403);
        Assert.Contains("Cors:AllowedOrigins", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    public static TheoryData<string?, string?> AdmittedRequests => new()
    {
        // The service's own page, with and without Fetch Metadata.
        { "http://localhost", "same-origin" },
        { "http://localhost", null },
        // A client that is not a browser.
        { null, null },
    };

    [Theory]
    [MemberData(nameof(AdmittedRequests))]
    public async Task ThisPage_AndClientsThatAreNotBrowsers_AreAnswered(string? origin, string? fetchSite)
    {
        var client = await factory.ReadyClientAsync();

        using var cam = await client.SendAsync(Post("/cam", origin, fetchSite));
        using var animation = await client.SendAsync(Post("/cam/animation", origin, fetchSite));

        Assert.Equal(HttpStatusCode.OK, cam.StatusCode);
        Assert.Equal(HttpStatusCode.OK, animation.StatusCode);
        Assert.False(cam.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task AnAllowedOrigin_IsAnswered_AndMayReadTheAnswer()
    {
        var client = await factory.ReadyClientAsync();
        using var asked = await client.SendAsync(Preflight(Allowed));
        using var answer = await client.SendAsync(Post("/cam", Allowed, "cross-site"));

        Assert.True(asked.IsSuccessStatusCode, $"The preflight answered {(int)asked.StatusCode}.");
        Assert.Equal(Allowed, Assert.Single(asked.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Contains("POST", asked.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(Allowed, Assert.Single(answer.Headers.GetValues("Access-Control-Allow-Origin")));
    }

    [Fact]
    public async Task AnotherOrigin_GetsNoCorsPermission_InThePreflight()
    {
        var client = await factory.ReadyClientAsync();
        using var asked = await client.SendAsync(Preflight(Other));

        Assert.False(asked.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task ByDefault_NoOtherOrigin_IsAllowed()
    {
        using var defaults = new CamServiceFactory();
        var client = await defaults.ReadyClientAsync();

        using var answer = await client.SendAsync(Post("/cam", Allowed, "cross-site"));

        await Api.ProblemAsync(answer, 403);
    }

    [Theory]
    [InlineData("https://example.org/page")]
    [InlineData("example.org")]
    [InlineData("ftp://example.org")]
    [InlineData("https://example.org/")]
    public void AnOriginThatIsNotOne_StopsTheStart(string origin)
    {
        using var invalid = new ConfiguredFactory(new() { ["Cors:AllowedOrigins:0"] = origin });

        var error = Assert.Throws<OptionsValidationException>(() => invalid.CreateClient());

        Assert.Contains($"'{origin}' is not an origin", error.Message, StringComparison.Ordinal);
    }

    /// <summary>What a browser asks before a POST with an Authorization header from <paramref name="origin"/>'s page.</summary>
    static HttpRequestMessage Preflight(string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "/cam");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "authorization");
        return request;
    }

    static HttpRequestMessage Post(string path, string? origin, string? fetchSite)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = Api.Form(TestImages.RedTopLeftPng(), fields: ("models", "colour32")),
        };
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }
        if (fetchSite is not null)
        {
            request.Headers.Add("Sec-Fetch-Site", fetchSite);
        }
        return request;
    }
}
