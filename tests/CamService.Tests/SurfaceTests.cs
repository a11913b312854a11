using System.Net;
using CamService.Surface;
using CamService.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Options;

namespace CamService.Tests;

/// <summary>
/// What the service shows beyond its endpoints, each by configuration: forwarded headers only from configured
/// proxies, host names from AllowedHosts, Swagger on or off, /metrics on a port of its own.
/// </summary>
public sealed class SurfaceTests
{
    const string Proxy = "10.0.0.5";
    const string Client = "203.0.113.7";

    [Fact]
    public async Task ForwardedHeaders_AreIgnored_ByDefault()
    {
        using var factory = new CamServiceFactory();

        var context = await factory.Server.SendAsync(c => Forwarded(c, from: "127.0.0.1"));

        Assert.Equal("127.0.0.1", context.Connection.RemoteIpAddress?.ToString());
        Assert.Equal("http", context.Request.Scheme);
        Assert.False(context.Response.Headers.ContainsKey("Strict-Transport-Security"));
    }

    [Theory]
    [InlineData("ForwardedHeaders:KnownProxies:0", Proxy)]
    [InlineData("ForwardedHeaders:KnownNetworks:0", "10.0.0.0/8")]
    public async Task ForwardedHeaders_CountFromAConfiguredProxy_Only(string key, string value)
    {
        using var factory = new ConfiguredFactory(new() { [key] = value });

        var proxied = await factory.Server.SendAsync(c => Forwarded(c, from: Proxy));
        var direct = await factory.Server.SendAsync(c => Forwarded(c, from: "192.0.2.1"));

        Assert.Equal(Client, proxied.Connection.RemoteIpAddress?.ToString());
        Assert.Equal("https", proxied.Request.Scheme);
        Assert.True(proxied.Response.Headers.ContainsKey("Strict-Transport-Security"), "HSTS is missing behind the proxy that ends TLS.");
        Assert.Equal("192.0.2.1", direct.Connection.RemoteIpAddress?.ToString());
        Assert.Equal("http", direct.Request.Scheme);
        Assert.False(direct.Response.Headers.ContainsKey("Strict-Transport-Security"));
    }

    [Theory]
    [InlineData("ForwardedHeaders:KnownProxies:0", "10.0.0.300", "is not an IP address")]
    [InlineData("ForwardedHeaders:KnownNetworks:0", "10.0.0.0", "is not a network in CIDR notation")]
    public void AProxyThatIsNotOne_StopsTheStart(string key, string value, string message)
    {
        using var factory = new ConfiguredFactory(new() { [key] = value });

        var error = Assert.Throws<OptionsValidationException>(() => factory.CreateClient());

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("camservice.example", "camservice.example", true)]
    [InlineData("camservice.example", "CamService.Example:8080", true)]
    [InlineData("camservice.example", "other.example", false)]
    [InlineData("camservice.example;*.cam.example", "eu.cam.example", true)]
    [InlineData("camservice.example;*.cam.example", "cam.example.evil", false)]
    [InlineData("*", "anything.example", true)]
    public async Task AllowedHosts_RefusesOtherHostNames_WithAProblem(string allowed, string host, bool answered)
    {
        using var factory = new ConfiguredFactory(new() { ["AllowedHosts"] = allowed });
        var client = factory.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri($"http://{host}") });

        using var response = await client.GetAsync("/health/live");

        if (answered)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return;
        }
        var problem = await Api.ProblemAsync(response, 400);
        Assert.Equal("Unknown host", problem.GetProperty("title").GetString());
        Assert.DoesNotContain("other.example", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Theory]
    [InlineData(null, HttpStatusCode.OK)]
    [InlineData("true", HttpStatusCode.OK)]
    [InlineData("false", HttpStatusCode.NotFound)]
    public async Task Swagger_IsServedUnlessSwitchedOff(string? swagger, HttpStatusCode expected)
    {
        using var factory = new ConfiguredFactory(swagger is null ? [] : new() { ["Api:Swagger"] = swagger });
        var client = factory.CreateClient();

        using var ui = await client.GetAsync("/swagger/index.html");
        using var document = await client.GetAsync("/swagger/v1/swagger.json");

        Assert.Equal(expected, ui.StatusCode);
        Assert.Equal(expected, document.StatusCode);
    }

    [Fact]
    public async Task Metrics_OnTheApiPort_WhenNoPortOfItsOwnIsSet()
    {
        using var factory = new CamServiceFactory();

        Assert.Equal(StatusCodes.Status200OK, await StatusOnPortAsync(factory, 8080, "/metrics"));
        Assert.Equal(StatusCodes.Status200OK, await StatusOnPortAsync(factory, 8080, "/health/live"));
    }

    [Fact]
    public async Task Metrics_OnAPortOfItsOwn_AndNothingElseThere()
    {
        using var factory = new ConfiguredFactory(new() { ["Metrics:Port"] = "9090" });

        Assert.Equal(StatusCodes.Status200OK, await StatusOnPortAsync(factory, 9090, "/metrics"));
        Assert.Equal(StatusCodes.Status404NotFound, await StatusOnPortAsync(factory, 8080, "/metrics"));
        Assert.Equal(StatusCodes.Status404NotFound, await StatusOnPortAsync(factory, 8080, "/metrics/"));
        foreach (var path in new[] { "/", "/index.html", "/models", "/health/ready", "/swagger/index.html" })
        {
            Assert.Equal(StatusCodes.Status404NotFound, await StatusOnPortAsync(factory, 9090, path));
            Assert.NotEqual(StatusCodes.Status404NotFound, await StatusOnPortAsync(factory, 8080, path));
        }
        // The Host header is the client's to write; only the port the connection came in on counts.
        var spoofed = await factory.Server.SendAsync(c =>
        {
            OnPort(c, 8080, "/metrics");
            c.Request.Host = new HostString("localhost", 9090);
        });
        Assert.Equal(StatusCodes.Status404NotFound, spoofed.Response.StatusCode);
    }

    [Fact]
    public async Task Metrics_APortOfItsOwnIsReported_AsAProblem_OnTheApiPort()
    {
        using var factory = new ConfiguredFactory(new() { ["Metrics:Port"] = "9090" });
        var client = factory.CreateClient();

        // TestServer's connections have no local port: the API's side.
        await Api.ProblemAsync(await client.GetAsync("/metrics"), 404);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65536")]
    public void AMetricsPortOutOfRange_StopsTheStart(string port)
    {
        using var factory = new ConfiguredFactory(new() { ["Metrics:Port"] = port });

        var error = Assert.Throws<OptionsValidationException>(() => factory.CreateClient());

        Assert.Contains("Port", error.Message, StringComparison.Ordinal);
    }

    static async Task<int> StatusOnPortAsync(CamServiceFactory factory, int port, string path) =>
        (await factory.Server.SendAsync(c => OnPort(c, port, path))).Response.StatusCode;

    static void OnPort(HttpContext context, int port, string path)
    {
        context.Request.Method = HttpMethods.Get;
        context.Request.Path = path;
        context.Connection.LocalPort = port;
    }

    static void Forwarded(HttpContext context, string from)
    {
        context.Request.Method = HttpMethods.Get;
        context.Request.Path = "/health/live";
        context.Connection.RemoteIpAddress = IPAddress.Parse(from);
        context.Request.Headers["X-Forwarded-For"] = Client;
        context.Request.Headers["X-Forwarded-Proto"] = "https";
    }
}
