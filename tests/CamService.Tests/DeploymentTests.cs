using System.Text.RegularExpressions;
using CamService.Testing;

namespace CamService.Tests;

/// <summary>
/// No Docker engine runs where the tests do, so the container files are checked against the code
/// instead: what the Dockerfile copies exists and is not ignored, every setting the Dockerfile and
/// docker-compose.yml pass is one the service reads (and its value binds), the ports agree, and the
/// health checks ask for endpoints the service answers.
/// </summary>
public sealed partial class DeploymentTests(CamServiceFactory factory) : IClassFixture<CamServiceFactory>
{
    const string Port = "8080";
    static readonly string Dockerfile = File.ReadAllText(RepositoryFolder.PathOf("docker", "Dockerfile"));
    static readonly string Compose = File.ReadAllText(RepositoryFolder.PathOf("docker-compose.yml"));
    static readonly string[] DockerIgnore = File.ReadAllLines(RepositoryFolder.PathOf(".dockerignore"))
        .Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();

    [Fact]
    public void Dockerfile_CopiesFromTheContextOnlyPathsThatExistAndAreNotIgnored()
    {
        var sources = CopyLine().Matches(Dockerfile)
            .Where(m => !m.Groups["flags"].Value.Contains("--from"))
            .SelectMany(m => m.Groups["paths"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).SkipLast(1))
            .ToList();

        Assert.Contains("src/", sources);
        foreach (var source in sources)
        {
            var path = RepositoryFolder.PathOf(source.TrimEnd('/'));
            Assert.True(File.Exists(path) || Directory.Exists(path), $"The Dockerfile copies '{source}', which the repository lacks.");
            Assert.DoesNotContain(source.TrimEnd('/') + "/", DockerIgnore);
            Assert.DoesNotContain(source, DockerIgnore);
        }
    }

    [Fact]
    public void DockerIgnore_KeepsHostBuildOutputsAndModelsOutOfTheContext()
    {
        // obj/ holds restore files with this machine's paths: copied into the image they break the build.
        Assert.Contains("**/bin/", DockerIgnore);
        Assert.Contains("**/obj/", DockerIgnore);
        Assert.Contains("**/*.onnx", DockerIgnore);
        Assert.Contains("onnx/models/", DockerIgnore);
    }

    [Fact]
    public void ContainerSettings_AreOnesTheServiceReads_AndTheirValuesBind()
    {
        var settings = Setting().Matches(Dockerfile).Concat(Setting().Matches(Compose))
            .Select(m => (Section: m.Groups["section"].Value, Key: m.Groups["key"].Value, Value: m.Groups["value"].Value.Trim('"', ' ')))
            .ToList();

        Assert.Contains(settings, s => s is { Section: "Models", Key: "Directory" });
        foreach (var (section, key, value) in settings)
        {
            ServiceSettings.AssertBinds(section, key, value);
        }
    }

    [Fact]
    public void ComposeBuildTargets_AreStagesOfTheDockerfile_OneForEachDevice()
    {
        var stages = Stage().Matches(Dockerfile).Select(m => m.Groups["name"].Value).ToHashSet();
        var targets = ComposeTarget().Matches(Compose).Select(m => m.Groups["name"].Value).ToList();

        Assert.Equal(["cpu", "cuda"], targets.Order());
        Assert.All(targets, target => Assert.Contains(target, stages));
        Assert.EndsWith("AS cpu", Stage().Matches(Dockerfile).Last().Value.TrimEnd());
        Assert.Contains("-p:OnnxRuntimeFlavor=cuda", Dockerfile);
    }

    [Fact]
    public void Ports_AgreeAcrossDockerfileComposeAndRunScript()
    {
        Assert.Matches($@"(?m)^EXPOSE {Port}$", Dockerfile);
        Assert.Matches($@"ASPNETCORE_HTTP_PORTS={Port}\b", Dockerfile);
        Assert.Matches($@"(?m)^\s+- ""{Port}:{Port}""$", Compose);
        Assert.Contains($"http://localhost:{Port}", File.ReadAllText(RepositoryFolder.PathOf("run.sh")));
        Assert.All(HealthUrl().Matches(Dockerfile + Compose), m => Assert.Equal(Port, m.Groups["port"].Value));
    }

    [Fact]
    public async Task HealthChecks_AskForEndpointsTheServiceAnswers()
    {
        var paths = HealthUrl().Matches(Dockerfile + Compose).Select(m => m.Groups["path"].Value).Distinct().ToList();
        Assert.NotEmpty(paths);
        var client = await factory.ReadyClientAsync();

        foreach (var path in paths)
        {
            using var response = await client.GetAsync(path);
            Assert.True(response.IsSuccessStatusCode, $"The container's health check asks for {path}, which answers {(int)response.StatusCode}.");
        }
    }

    /// <summary>COPY [--flags] source... destination, one instruction per line.</summary>
    [GeneratedRegex(@"(?m)^COPY (?<flags>(?:--\S+ )*)(?<paths>.+)$")]
    private static partial Regex CopyLine();

    /// <summary>Section__Key=value (Dockerfile ENV) or Section__Key: value (compose), for the service's sections.</summary>
    [GeneratedRegex(@"(?m)(?<![A-Z_])(?<section>[A-Z][A-Za-z]+)__(?<key>[A-Za-z]+)\s*[=:]\s*(?<value>""[^""]*""|[^\s\\]+)")]
    private static partial Regex Setting();

    [GeneratedRegex(@"http://localhost:(?<port>\d+)(?<path>/[\w/]+)")]
    private static partial Regex HealthUrl();

    [GeneratedRegex(@"(?m)^FROM \S+ AS (?<name>[\w-]+)\s*$")]
    private static partial Regex Stage();

    [GeneratedRegex(@"(?m)^\s+target: (?<name>[\w-]+)\s*$")]
    private static partial Regex ComposeTarget();
}
