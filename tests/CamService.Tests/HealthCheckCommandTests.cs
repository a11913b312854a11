using CamService.Health;
using CamService.Testing;

namespace CamService.Tests;

/// <summary>
/// `dotnet CamService.dll --health-check URL`, the container's health check: exit 0 when the service answers
/// 2xx, 1 when it answers otherwise or not at all, 64 on a wrong command line; run against a real Kestrel port.
/// </summary>
public sealed class HealthCheckCommandTests : IDisposable
{
    readonly CamServiceFactory factory = new();
    readonly Uri address;

    public HealthCheckCommandTests()
    {
        factory.UseKestrel(0);
        factory.StartServer();
        address = factory.ClientOptions.BaseAddress;
    }

    [Fact]
    public async Task TheBuiltService_ExitsZero_WhileItIsReady()
    {
        await factory.ReadyClientAsync();
        var dll = Path.Combine(AppContext.BaseDirectory, "CamService.dll");

        var ready = Programs.Run("dotnet", [dll, HealthCheckCommand.Flag, new Uri(address, "/health/ready").ToString()], timeout: TimeSpan.FromMinutes(1));
        var missing = Programs.Run("dotnet", [dll, HealthCheckCommand.Flag, new Uri(address, "/no-such-check").ToString()], timeout: TimeSpan.FromMinutes(1));

        ready.Expect(0);
        missing.Expect(1);
        Assert.Contains("answered 404", missing.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoServiceListening_ExitsOne()
    {
        var log = new StringWriter();
        // Nothing listens on loopback port 9 (discard): the connection is refused at once.
        var exit = await HealthCheckCommand.RunAsync([HealthCheckCommand.Flag, "http://127.0.0.1:9/health/ready"], log);

        Assert.Equal(1, exit);
        Assert.Contains("did not answer", log.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData()]
    [InlineData("not a url")]
    [InlineData("ftp://127.0.0.1/health/ready")]
    [InlineData("http://127.0.0.1/health/ready", "extra")]
    public async Task AWrongCommandLine_ExitsWithUsage(params string[] arguments)
    {
        var log = new StringWriter();

        var exit = await HealthCheckCommand.RunAsync([HealthCheckCommand.Flag, .. arguments], log);

        Assert.Equal(64, exit);
        Assert.Contains("Usage:", log.ToString(), StringComparison.Ordinal);
    }

    public void Dispose() => factory.Dispose();
}
