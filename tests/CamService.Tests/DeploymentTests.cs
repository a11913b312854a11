using System.Text.RegularExpressions;
using CamService.Testing;

namespace CamService.Tests;

/// <summary>
/// The container files checked against the code, everywhere the tests run (ContainerTests builds and
/// runs the image where a Docker engine can run): base images are build arguments, what the
/// Dockerfile copies exists and is not ignored, every setting the Dockerfile and docker-compose.yml
/// pass is one the service reads (and its value binds), the ports agree, the runtime stages run as
/// a numeric non-root user with a health check on an endpoint the service answers, and
/// docker-compose accepts the compose file.
/// </summary>
public sealed partial class DeploymentTests(CamServiceFactory factory) : IClassFixture<CamServiceFactory>
{
    const string Port = "8080";
    static readonly string Dockerfile = File.ReadAllText(RepositoryFolder.PathOf("docker", "Dockerfile"));
    static readonly string Compose = File.ReadAllText(RepositoryFolder.PathOf("docker-compose.yml"));
    static readonly string[] DockerIgnore = File.ReadAllLines(RepositoryFolder.PathOf(".dockerignore"))
        .Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();

    [Fact]
    public void Dockerfile_TakesEveryBaseImageAsABuildArgument_WithTheOfficialImageAsDefault()
    {
        var defaults = BaseImageArgument().Matches(Dockerfile).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["image"].Value);
        var stages = new List<string>();

        Assert.Equal(["ASPNET_IMAGE", "CUDA_IMAGE", "EXPORT_IMAGE", "SDK_IMAGE"], defaults.Keys.Order());
        Assert.StartsWith("mcr.microsoft.com/dotnet/sdk:10.0", defaults["SDK_IMAGE"]);
        Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:10.0", defaults["ASPNET_IMAGE"]);
        Assert.StartsWith("debian:", defaults["EXPORT_IMAGE"]);
        Assert.StartsWith("nvidia/cuda:", defaults["CUDA_IMAGE"]);
        foreach (Match stage in Stage().Matches(Dockerfile))
        {
            var from = stage.Groups["from"].Value;
            // A stage picked by the device is an earlier stage for every device.
            var earlier = Devices.All(device => stages.Contains(from.Replace("${DEVICE}", device, StringComparison.Ordinal)));
            Assert.True(earlier || defaults.ContainsKey(from.TrimStart('$', '{').TrimEnd('}')),
                $"Stage {stage.Groups["name"].Value} starts from {from}, neither an earlier stage nor a base-image argument.");
            stages.Add(stage.Groups["name"].Value);
        }
    }

    [Theory]
    [InlineData("cpu", "${ASPNET_IMAGE}")]
    [InlineData("cuda", "${CUDA_IMAGE}")]
    public void RuntimeImage_OfEitherDevice_RunsAsTheNumericNonRootUser_WithNeitherSdkNorPyTorch(string device, string baseImage)
    {
        var deviceBase = StageText($"base-{device}");
        var runtime = StageText("runtime");

        Assert.StartsWith($"FROM {baseImage} AS base-{device}", deviceBase);
        Assert.StartsWith("FROM base-${DEVICE} AS runtime", runtime);
        Assert.Matches($@"(?m)^FROM service-\$\{{DEVICE\}} AS {RuntimeService}\s*$", Dockerfile);
        Assert.Matches($@"(?m)^    Inference__Device={device}$|^ENV Inference__Device={device}$", deviceBase);
        // Numeric, so Kubernetes can check runAsNonRoot; the ASP.NET Core images define APP_UID.
        Assert.Matches(@"(?m)^USER \$APP_UID$", runtime);
        Assert.Matches(@"(?m)^HEALTHCHECK ", runtime);
        // The service checks its own health: nothing in the final image fetches URLs for an intruder.
        var stages = deviceBase + runtime;
        var instructions = string.Join('\n', stages.Split('\n').Where(line => !line.TrimStart().StartsWith('#')));
        Assert.DoesNotMatch(@"\b(curl|wget|apt-get)\b", instructions);
        Assert.All(Regex.Matches(stages, @"--from=(?<stage>[\w-]+)").Select(m => m.Groups["stage"].Value),
            from => Assert.Contains(from, RuntimeSources));
    }

    [Fact]
    public void RuntimeImages_CannotDrift_WhatTheyShareIsWrittenOnce()
    {
        // One runtime stage for both devices: the settings, port, user, health check and entry point are its lines alone.
        foreach (var instruction in new[] { "WORKDIR /app", "EXPOSE ", "USER ", "HEALTHCHECK ", "ENTRYPOINT ", "COPY --from=models " })
        {
            Assert.True(Regex.Count(Dockerfile, $"(?m)^{Regex.Escape(instruction)}") == 1, $"'{instruction}' is written more than once.");
            Assert.Contains($"\n{instruction}", StageText("runtime"));
        }
        foreach (var setting in new[] { "ASPNETCORE_HTTP_PORTS=", "Models__Directory=", "Models__CacheDirectory=", "Inference__Device=" })
        {
            Assert.True(setting == "Inference__Device=" ? Regex.Count(Dockerfile, setting) == Devices.Length : Regex.Count(Dockerfile, setting) == 1,
                $"'{setting}' is set in more places than the runtime stage (or one per device).");
        }
        // A device's base holds only what differs by device: no user switch, port, health check or entry point of its own.
        foreach (var device in Devices)
        {
            Assert.DoesNotMatch(@"(?m)^(USER|EXPOSE|HEALTHCHECK|ENTRYPOINT|WORKDIR|CMD) ", StageText($"base-{device}"));
        }
        Assert.Equal(Devices, Stage().Matches(Dockerfile).Select(m => m.Groups["name"].Value).Where(n => n.StartsWith("base-")).Select(n => n[5..]));
        Assert.Equal(Devices, Stage().Matches(Dockerfile).Select(m => m.Groups["name"].Value).Where(n => n.StartsWith("service-")).Select(n => n[8..]));
        Assert.Matches(@"(?m)^ARG DEVICE=cpu$", Dockerfile);
    }

    [Fact]
    public void Allocator_IsTheSameWhereverTheServiceRuns()
    {
        // The image, run.sh, the benchmarks' service and the fuzz campaign all run glibc with the same arena limit.
        var image = Regex.Match(StageText("runtime"), @"MALLOC_ARENA_MAX=(?<n>\d+)").Groups["n"].Value;
        var scripts = Regex.Match(File.ReadAllText(RepositoryFolder.PathOf("scripts", "common.sh")), @"use_service_allocator\(\) \{ export MALLOC_ARENA_MAX=""\$\{MALLOC_ARENA_MAX:-(?<n>\d+)\}""; \}").Groups["n"].Value;
        var bench = Regex.Match(File.ReadAllText(RepositoryFolder.PathOf("bench", "serve.sh")), @"MALLOC_ARENA_MAX=""\$\{MALLOC_ARENA_MAX:-(?<n>\d+)\}"" dotnet").Groups["n"].Value;
        Assert.Equal("2", image);
        Assert.Equal(image, scripts);
        Assert.Equal(image, bench);
        foreach (var script in new[] { "run.sh", Path.Combine("scripts", "fuzz.sh") })
        {
            Assert.Matches(@"(?m)^use_service_allocator$", File.ReadAllText(RepositoryFolder.PathOf(script)));
        }
    }

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
        var devices = ComposeDevice().Matches(Compose).Select(m => m.Groups["device"].Value).ToList();

        Assert.Equal(["runtime", "runtime"], targets);
        Assert.All(targets, target => Assert.Contains(target, stages));
        Assert.Equal(Devices, devices.Order());
        // The default target (the last stage) is the runtime, on the CPU unless DEVICE says otherwise.
        Assert.EndsWith("AS runtime", Stage().Matches(Dockerfile).Last().Value.TrimEnd());
        Assert.Contains("-p:OnnxRuntimeFlavor=cuda", Dockerfile);
    }

    [Fact]
    public void Ports_AgreeAcrossDockerfileComposeAndRunScript()
    {
        Assert.Matches($@"(?m)^EXPOSE {Port}$", Dockerfile);
        Assert.Matches($@"ASPNETCORE_HTTP_PORTS={Port}\b", Dockerfile);
        Assert.Matches($@"(?m)^\s+- ""{Port}:{Port}""$", Compose);
        Assert.Contains($"http://localhost:{Port}", File.ReadAllText(RepositoryFolder.PathOf("run.sh")));
        // The health checks follow the port, also when a run listens on another one.
        Assert.Equal(Regex.Count(Dockerfile, "(?m)^HEALTHCHECK "), HealthCheck().Count(Dockerfile));
    }

    [Fact]
    public async Task HealthChecks_AskForEndpointsTheServiceAnswers()
    {
        var paths = HealthCheck().Matches(Dockerfile).Select(m => m.Groups["path"].Value).Distinct().ToList();
        Assert.NotEmpty(paths);
        var client = await factory.ReadyClientAsync();

        foreach (var path in paths)
        {
            using var response = await client.GetAsync(path);
            Assert.True(response.IsSuccessStatusCode, $"The container's health check asks for {path}, which answers {(int)response.StatusCode}.");
        }
    }

    [Fact]
    public void BaseImages_MayBePinnedByDigest()
    {
        // The documented way: a build argument naming tag and digest, which FROM ${...} takes as it is.
        Assert.Matches(@"(?m)^#\s+--build-arg ASPNET_IMAGE=mcr\.microsoft\.com/dotnet/aspnet:10\.0@sha256:<digest>", Dockerfile);
        Assert.All(Stage().Matches(Dockerfile).Select(m => m.Groups["from"].Value).Where(from => from.StartsWith('$')),
            from => Assert.Matches(@"^\$\{[A-Z]+_IMAGE\}$", from));
    }

    [Fact]
    public void ComposeServices_DropEveryCapability_OnAReadOnlyRoot_WithNoNewPrivileges()
    {
        var services = Regex.Split(Compose, @"(?m)^  (?=[\w-]+:\s*$)").Skip(1).ToList();

        Assert.Equal(2, services.Count);
        foreach (var service in services)
        {
            var name = service[..service.IndexOf(':', StringComparison.Ordinal)];
            Assert.True(Regex.IsMatch(service, @"(?m)^    read_only: true$"), $"{name} has a writable root.");
            Assert.True(Regex.IsMatch(service, @"(?m)^    cap_drop: \[ALL\]$"), $"{name} keeps capabilities.");
            Assert.True(Regex.IsMatch(service, @"(?m)^    security_opt: \[""no-new-privileges:true""\]$"), $"{name} may gain privileges.");
            Assert.True(Regex.IsMatch(service, @"(?m)^      - /tmp\b"), $"{name} has no tmpfs for /tmp, where the model cache goes.");
            Assert.DoesNotMatch(@"(?m)^    cap_add:", service);
        }
    }

    [Fact]
    public void Compose_IsAcceptedByDockerCompose_WithEveryService()
    {
        // Debian's docker-compose (test.sh installs it); `config` validates without an engine.
        var config = Programs.Run("docker-compose", ["--file", RepositoryFolder.PathOf("docker-compose.yml"), "--profile", "cuda", "config"]).Expect().Output;

        Assert.Contains("  camservice:", config);
        Assert.Contains("  camservice-cuda:", config);
    }

    /// <summary>The devices an image is built for (DEVICE), each with a base-* and a service-* stage.</summary>
    static readonly string[] Devices = ["cpu", "cuda"];

    /// <summary>The stage of the published service for the DEVICE built, as the runtime stage copies it.</summary>
    const string RuntimeService = "service";

    /// <summary>The stages a runtime stage may copy from: the published service, the models, the .NET runtime.</summary>
    static readonly string[] RuntimeSources = [RuntimeService, "models", "base-cpu"];

    /// <summary>A stage's instructions: from its FROM line to the next stage's.</summary>
    static string StageText(string name)
    {
        var stages = Stage().Matches(Dockerfile).ToList();
        var index = stages.FindIndex(m => m.Groups["name"].Value == name);
        Assert.True(index >= 0, $"The Dockerfile has no stage {name}.");
        var end = index + 1 < stages.Count ? stages[index + 1].Index : Dockerfile.Length;
        return Dockerfile[stages[index].Index..end];
    }

    /// <summary>COPY [--flags] source... destination, one instruction per line.</summary>
    [GeneratedRegex(@"(?m)^COPY (?<flags>(?:--\S+ )*)(?<paths>.+)$")]
    private static partial Regex CopyLine();

    /// <summary>Section__Key=value (Dockerfile ENV) or Section__Key: value (compose), for the service's sections.</summary>
    [GeneratedRegex(@"(?m)(?<![A-Z_])(?<section>[A-Z][A-Za-z]+)__(?<key>[A-Za-z]+)\s*[=:]\s*(?<value>""[^""]*""|[^\s\\]+)")]
    private static partial Regex Setting();

    /// <summary>A health check's probe of the port the service listens on, by the service itself (HealthCheckCommand).</summary>
    [GeneratedRegex(@"(?m)^\s+CMD dotnet CamService\.dll --health-check ""http://127\.0\.0\.1:\$\{ASPNETCORE_HTTP_PORTS\}(?<path>/[\w/]+)""$")]
    private static partial Regex HealthCheck();

    /// <summary>ARG NAME_IMAGE=default, before the first stage.</summary>
    [GeneratedRegex(@"(?m)^ARG (?<name>[A-Z]+_IMAGE)=(?<image>\S+)$")]
    private static partial Regex BaseImageArgument();

    [GeneratedRegex(@"(?m)^FROM (?<from>\S+) AS (?<name>[\w-]+)\s*$")]
    private static partial Regex Stage();

    [GeneratedRegex(@"(?m)^\s+target: (?<name>[\w-]+)\s*$")]
    private static partial Regex ComposeTarget();

    [GeneratedRegex(@"(?m)^\s+DEVICE: (?<device>[\w-]+)\s*$")]
    private static partial Regex ComposeDevice();
}
