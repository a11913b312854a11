using System.Text.RegularExpressions;
using CamService.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace CamService.Tests;

/// <summary>
/// The package audit that every restore runs (Directory.Build.props), tried for real: a project importing the
/// repository's build settings restores SixLabors.ImageSharp 2.1.13 against an audit source of our own (a local
/// HTTP feed in NuGet's vulnerability format), so the outcome does not depend on what nuget.org or a mirror serves
/// today. An advisory fails the restore; NuGetAuditSuppress accepts it; a source without advisories is a warning,
/// or an error with -p:RequireNuGetAudit=true. The package comes from the global packages folder, which the
/// solution's own restore filled, so no package source is needed.
/// </summary>
public sealed partial class PackageAuditTests : IAsyncLifetime
{
    const string Advisory = "https://example.invalid/advisories/CAMSERVICE-AUDIT-TEST";

    WebApplication? feed;
    DirectoryInfo? probe;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        feed = builder.Build();
        string Base(HttpContext context) => $"{context.Request.Scheme}://{context.Request.Host}";
        // NuGet's audit resources: a service index naming VulnerabilityInfo, its page list, and one page.
        feed.MapGet("/with-advisories/index.json", (HttpContext c) => Results.Text(
            $$"""{"version":"3.0.0","resources":[{"@id":"{{Base(c)}}/vulnerabilities/index.json","@type":"VulnerabilityInfo/6.7.0"}]}""", "application/json"));
        feed.MapGet("/without-advisories/index.json", () => Results.Text("""{"version":"3.0.0","resources":[]}""", "application/json"));
        feed.MapGet("/vulnerabilities/index.json", (HttpContext c) => Results.Text(
            $$"""[{"@name":"all","@id":"{{Base(c)}}/vulnerabilities/all.json","@updated":"2026-01-01T00:00:00Z"}]""", "application/json"));
        feed.MapGet("/vulnerabilities/all.json", () => Results.Text(
            $$"""{"sixlabors.imagesharp":[{"severity":2,"url":"{{Advisory}}","versions":"[2.1.13, 2.1.13]"}]}""", "application/json"));
        await feed.StartAsync();
        probe = Directory.CreateTempSubdirectory("camservice-audit-");
    }

    [Fact]
    public void AnAdvisory_FailsTheRestore()
    {
        var restore = Restore("with-advisories");

        Assert.NotEqual(0, restore.ExitCode);
        Assert.Matches($@"error NU1903: .*SixLabors\.ImageSharp' 2\.1\.13 has a known high severity vulnerability, {Regex.Escape(Advisory)}", restore.AllOutput);
    }

    [Fact]
    public void AnAcceptedAdvisory_IsNoLongerReported()
    {
        var restore = Restore("with-advisories", suppress: Advisory);

        restore.Expect(0);
        Assert.DoesNotContain("NU190", restore.AllOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void ASourceWithoutAdvisories_IsAWarning_OrAnErrorWhereTheAuditIsRequired()
    {
        var lenient = Restore("without-advisories");
        var strict = Restore("without-advisories", arguments: ["-p:RequireNuGetAudit=true"]);

        lenient.Expect(0);
        Assert.Contains("warning NU1905", lenient.AllOutput, StringComparison.Ordinal);
        Assert.NotEqual(0, strict.ExitCode);
        Assert.Contains("error NU1905", strict.AllOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void TheRepository_AuditsEveryPackage_AgainstNuGetOrg()
    {
        var props = File.ReadAllText(RepositoryFolder.PathOf("Directory.Build.props"));
        var config = File.ReadAllText(RepositoryFolder.PathOf("nuget.config"));

        Assert.Contains("<NuGetAudit>true</NuGetAudit>", props, StringComparison.Ordinal);
        Assert.Contains("<NuGetAuditMode>all</NuGetAuditMode>", props, StringComparison.Ordinal);
        Assert.Contains("<NuGetAuditLevel>low</NuGetAuditLevel>", props, StringComparison.Ordinal);
        Assert.Matches(@"<auditSources>\s*<clear />\s*<add key=""nuget.org"" value=""https://api.nuget.org/v3/index.json"" />\s*</auditSources>", config);
        // Every accepted advisory says why, in a comment just above it.
        foreach (Match suppression in Regex.Matches(props, @"(?<before>[^\n]*)\n\s*<NuGetAuditSuppress Include=""[^""]+"""))
        {
            Assert.Contains("-->", suppression.Groups["before"].Value, StringComparison.Ordinal);
        }
    }

    /// <summary>Restores a project of ImageSharp 2.1.13 with the repository's build settings, auditing against the feed's <paramref name="source"/>.</summary>
    ProgramRun Restore(string source, string? suppress = null, string[]? arguments = null)
    {
        var folder = Directory.CreateDirectory(Path.Combine(probe!.FullName, Guid.NewGuid().ToString("N"))).FullName;
        File.WriteAllText(Path.Combine(folder, "Directory.Build.props"), $"""
            <Project>
              <Import Project="{RepositoryFolder.PathOf("Directory.Build.props")}" />
              <ItemGroup>
                {(suppress is null ? "" : $"<NuGetAuditSuppress Include=\"{suppress}\" />")}
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(folder, "probe.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <ItemGroup>
                <PackageReference Include="SixLabors.ImageSharp" Version="2.1.13" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(folder, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
              </packageSources>
              <auditSources>
                <clear />
                <add key="test" value="{feed!.Urls.First()}/{source}/index.json" allowInsecureConnections="true" />
              </auditSources>
            </configuration>
            """);
        return Programs.Run("dotnet", ["restore", Path.Combine(folder, "probe.csproj"), "--no-http-cache", "--nologo", .. arguments ?? []],
            timeout: TimeSpan.FromMinutes(3));
    }

    public async Task DisposeAsync()
    {
        if (feed is not null)
        {
            await feed.DisposeAsync();
        }
        probe?.Delete(recursive: true);
    }
}
