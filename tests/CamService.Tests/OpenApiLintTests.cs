using System.Text.Json;
using CamService.Testing;

namespace CamService.Tests;

/// <summary>
/// The OpenAPI document tells a generated client how to authenticate and where to send requests: both
/// schemes declared, the explanations naming them, every other operation public, servers declared; and
/// Redocly's recommended rules (the CLI from npm, which ./test.sh installs into tools/openapi-lint)
/// report no error on it, with keys off and on.
/// </summary>
public sealed class OpenApiLintTests
{
    /// <summary>The operations under the access rules: the explanations, and the management of models.</summary>
    static readonly string[] Protected = ["post /cam", "post /cam/animation", "put /models/{id}", "delete /models/{id}", "post /models/{id}/reload"];

    public static TheoryData<string> Setups => new(Settings.Keys);

    static readonly Dictionary<string, Dictionary<string, string?>> Settings = new()
    {
        ["default"] = [],
        ["keys, tokens and a rate"] = new()
        {
            ["Auth:Enabled"] = "true",
            ["Auth:ApiKeys:0:Name"] = "alice",
            ["Auth:ApiKeys:0:Sha256"] = AuthTests.Sha256(AuthTests.AliceKey),
            ["Auth:Jwt:Authority"] = "https://issuer.test",
            ["Auth:Jwt:Audience"] = "camservice",
            ["Auth:RequestsPerMinute"] = "60",
            ["OpenApi:Servers:0"] = "https://cam.example.org",
            ["OpenApi:Servers:1"] = "/",
        },
    };

    static async Task<string> DocumentAsync(string setup)
    {
        using var factory = new ConfiguredFactory(Settings[setup]);
        return await factory.CreateClient().GetStringAsync("/swagger/v1/swagger.json");
    }

    [Theory]
    [MemberData(nameof(Setups))]
    public async Task TheDocument_DeclaresTheSchemesAndServers_AndWhichOperationsNeedThem(string setup)
    {
        var keys = setup != "default";
        using var document = JsonDocument.Parse(await DocumentAsync(setup));
        var root = document.RootElement;

        var servers = root.GetProperty("servers").EnumerateArray().Select(s => s.GetProperty("url").GetString()).ToList();
        Assert.Equal(keys ? ["https://cam.example.org", "/"] : ["/"], servers);
        var schemes = root.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal(("apiKey", "header", "X-Api-Key"),
            (schemes.GetProperty("ApiKey").GetProperty("type").GetString(), schemes.GetProperty("ApiKey").GetProperty("in").GetString(),
                schemes.GetProperty("ApiKey").GetProperty("name").GetString()));
        Assert.Equal(("http", "bearer"), (schemes.GetProperty("Bearer").GetProperty("type").GetString(), schemes.GetProperty("Bearer").GetProperty("scheme").GetString()));

        foreach (var path in root.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                var security = operation.Value.GetProperty("security").EnumerateArray()
                    .Select(requirement => string.Join('+', requirement.EnumerateObject().Select(s => s.Name))).ToList();
                var responses = operation.Value.GetProperty("responses").EnumerateObject().Select(r => r.Name).ToList();
                if (Protected.Contains($"{operation.Name} {path.Name}"))
                {
                    // Without keys, no credentials (the empty requirement) are accepted too.
                    Assert.Equal(keys ? ["ApiKey", "Bearer"] : ["ApiKey", "Bearer", ""], security);
                    Assert.Equal(keys, responses.Contains("401"));
                    Assert.Equal(keys, responses.Contains("429"));
                }
                else
                {
                    Assert.True(security.Count == 0, $"{operation.Name} {path.Name} asks for {string.Join(", ", security)}, but it is public.");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Setups))]
    public async Task RedoclysRecommendedRules_ReportNoError(string setup)
    {
        var redocly = RepositoryFolder.PathOf("tools", "openapi-lint", "node_modules", ".bin", "redocly");
        Assert.True(File.Exists(redocly), $"No Redocly CLI at {redocly}: ./test.sh installs it (npm ci --prefix tools/openapi-lint).");
        var file = Path.Combine(Path.GetTempPath(), $"camservice-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, await DocumentAsync(setup));
        try
        {
            var run = Programs.Run(redocly, ["lint", "--extends", "recommended", "--format", "stylish", file],
                new Dictionary<string, string> { ["REDOCLY_TELEMETRY"] = "off", ["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true" },
                TimeSpan.FromMinutes(2));
            Assert.True(run.ExitCode == 0, $"Redocly found errors in the document ({setup}):\n{run.AllOutput}");
            Assert.Contains("valid", run.AllOutput, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
