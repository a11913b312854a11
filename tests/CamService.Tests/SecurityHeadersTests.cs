using System.Net;
using CamService.Surface;
using CamService.Testing;
using Microsoft.AspNetCore.Mvc.Testing;

namespace CamService.Tests;

/// <summary>
/// OWASP's secure headers on every kind of answer: the page, Swagger UI and its document, JSON, /metrics, a
/// picture explained by POST /cam, and problems — those an endpoint writes and those the exception handler
/// writes after clearing the answer. HSTS only over HTTPS.
/// </summary>
public sealed class SecurityHeadersTests(CamServiceFactory factory) : IClassFixture<CamServiceFactory>
{
    public static TheoryData<string, string> Answers => new()
    {
        { "/", SecurityHeaders.PagePolicy },
        { "/index.html", SecurityHeaders.PagePolicy },
        // /swagger redirects to its index.html: both answers carry the headers.
        { "/swagger", SecurityHeaders.SwaggerPolicy },
        { "/swagger/index.html", SecurityHeaders.SwaggerPolicy },
        { "/swagger/v1/swagger.json", SecurityHeaders.SwaggerPolicy },
        { "/index.js", SecurityHeaders.ResourcePolicy },
        { "/models", SecurityHeaders.ResourcePolicy },
        { "/health/live", SecurityHeaders.ResourcePolicy },
        { "/metrics", SecurityHeaders.ResourcePolicy },
        { "/no-such-page", SecurityHeaders.ResourcePolicy },
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public async Task Get_CarriesTheSecureHeaders_WithThePolicyForItsKind(string path, string policy)
    {
        await factory.ReadyClientAsync();
        var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        using var response = await client.GetAsync(path);

        AssertSecure(response, policy);
    }

    [Fact]
    public async Task AnExplanation_CarriesTheSecureHeaders()
    {
        var client = await factory.ReadyClientAsync();

        using var response = await client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(), fields: ("models", "colour32")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertSecure(response, SecurityHeaders.ResourcePolicy);
    }

    [Fact]
    public async Task Problems_CarryTheSecureHeaders_AlsoThoseOfTheExceptionHandler()
    {
        var client = await factory.ReadyClientAsync();

        // An unknown model is an exception the handler turns into a problem; an unsupported type is answered by the endpoint.
        using var unknownModel = await client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(), fields: ("models", "vgg99")));
        using var unsupported = await client.PostAsync("/cam", new StringContent("an image", System.Text.Encoding.UTF8, "text/plain"));
        using var animation = await client.PostAsync("/cam/animation", Api.Form(TestImages.RedTopLeftPng(), fields: ("models", "vgg99")));

        await Api.ProblemAsync(unknownModel, 404);
        await Api.ProblemAsync(unsupported, 415);
        await Api.ProblemAsync(animation, 404);
        AssertSecure(unknownModel, SecurityHeaders.ResourcePolicy);
        AssertSecure(unsupported, SecurityHeaders.ResourcePolicy);
        AssertSecure(animation, SecurityHeaders.ResourcePolicy);
    }

    [Fact]
    public async Task Hsts_IsSentOverHttpsOnly()
    {
        await factory.ReadyClientAsync();
        var https = factory.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://camservice.example") });
        var http = factory.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("http://camservice.example") });

        using var secure = await https.GetAsync("/");
        using var plain = await http.GetAsync("/");

        Assert.Equal("max-age=31536000", Assert.Single(secure.Headers.GetValues("Strict-Transport-Security")));
        Assert.False(plain.Headers.Contains("Strict-Transport-Security"));
        AssertSecure(secure, SecurityHeaders.PagePolicy);
    }

    [Fact]
    public void Policies_FrameNothing_AndThePageRunsNothingInline()
    {
        foreach (var policy in new[] { SecurityHeaders.PagePolicy, SecurityHeaders.SwaggerPolicy, SecurityHeaders.ResourcePolicy })
        {
            Assert.Contains("frame-ancestors 'none'", policy);
            Assert.Contains("base-uri 'none'", policy);
            Assert.DoesNotContain("unsafe-eval", policy);
        }
        Assert.DoesNotContain("unsafe", SecurityHeaders.PagePolicy);
        // Swagger UI sets style attributes, but runs no inline script either.
        Assert.Contains("script-src 'self';", SecurityHeaders.SwaggerPolicy);
        Assert.Contains("default-src 'none'", SecurityHeaders.ResourcePolicy);
    }

    static void AssertSecure(HttpResponseMessage response, string policy)
    {
        string Header(string name)
        {
            Assert.True(response.Headers.TryGetValues(name, out var values), $"{name} is missing on {response.RequestMessage?.RequestUri} ({(int)response.StatusCode}).");
            return Assert.Single(values);
        }

        Assert.Equal(policy, Header("Content-Security-Policy"));
        Assert.Equal("nosniff", Header("X-Content-Type-Options"));
        Assert.Equal("DENY", Header("X-Frame-Options"));
        Assert.Equal("no-referrer", Header("Referrer-Policy"));
    }
}
