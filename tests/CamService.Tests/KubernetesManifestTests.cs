using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using CamService.Cam;
using CamService.Testing;
using CamService.Traffic;
using k8s;
using k8s.Models;
using Xunit.Sdk;
using YamlDotNet.Core;

namespace CamService.Tests;

/// <summary>
/// The Kubernetes manifests (deploy/kubernetes), checked offline. Every way they are meant to be
/// applied is rendered as `kubectl apply -k` would, and every rendered object is read strictly into
/// the Kubernetes API's typed model: a misspelt or misplaced field, a value of the wrong type, a bad
/// quantity, a duplicate key or an unknown apiVersion/kind fails. Then what the service needs of its
/// pods is asserted against the code. No API server is involved, so enum values, required fields,
/// defaulting, admission and the API versions a given cluster serves are not checked.
/// </summary>
public sealed partial class KubernetesManifestTests
{
    const string Gpu = "nvidia.com/gpu";

    /// <summary>
    /// The bound on peak RSS with the four default models on 2 cores: the highest RSS once started plus the largest
    /// rise measured while four clients at once sent the worst request the limits admit (bench/pod-sizing.sh,
    /// docs/memory.md).
    /// </summary>
    const decimal MeasuredPeakBytes = 2.58e9m;

    static readonly string Root = RepositoryFolder.PathOf("deploy", "kubernetes");

    /// <summary>Each kustomization as it is applied, and the component on each.</summary>
    static readonly string[] Variants =
        ["base", "overlays/gpu", "base + components/models-volume", "overlays/gpu + components/models-volume", "base + components/queue-scaling"];

    static readonly ConcurrentDictionary<string, Lazy<Manifests>> Rendered = new();

    public static TheoryData<string> AllVariants => new(Variants);

    public static TheoryData<string> KustomizationsAlone => new(Variants.Where(v => !v.Contains('+', StringComparison.Ordinal)));

    [Fact]
    public void EveryKustomization_IsRendered_AndNamesEveryFileBesideIt()
    {
        var kustomizations = Directory.GetFiles(Root, "kustomization.yaml", SearchOption.AllDirectories)
            .Select(file => Path.GetRelativePath(Root, Path.GetDirectoryName(file)!))
            .Order();
        Assert.Equal(Variants.SelectMany(v => v.Split(" + ")).Distinct().Order(), kustomizations);

        foreach (var folder in Directory.GetDirectories(Root, "*", SearchOption.AllDirectories).Where(f => File.Exists(Path.Combine(f, "kustomization.yaml"))))
        {
            var kustomization = File.ReadAllText(Path.Combine(folder, "kustomization.yaml"));
            foreach (var file in Directory.GetFiles(folder).Select(Path.GetFileName).Where(f => f != "kustomization.yaml"))
            {
                Assert.True(Regex.IsMatch(kustomization, $@"(?m)^\s*- (path: )?{Regex.Escape(file!)}\s*$"),
                    $"{Path.GetRelativePath(Root, folder)}/{file} is not in its kustomization.yaml, so it is neither applied nor tested.");
            }
        }
    }

    [KustomizeTheory]
    [MemberData(nameof(AllVariants))]
    public void Renders_ReadStrictly_OneObjectOfEachKind(string variant)
    {
        var manifests = Render(variant);

        Assert.Equal(["ConfigMap", "Deployment", "HorizontalPodAutoscaler", "NetworkPolicy", "PodDisruptionBudget", "Service"],
            manifests.Objects.Select(o => ((IKubernetesObject)o).Kind).Order());
    }

    [KustomizeTheory]
    [InlineData("path: /health/ready", "paht: /health/ready")]
    [InlineData("readOnlyRootFilesystem: true", "readonlyRootFilesystem: true")]
    [InlineData("containerPort: 8080", "containerPort: http")]
    [InlineData("terminationGracePeriodSeconds: 45", "terminationGracePeriodSeconds: 45s")]
    [InlineData("cpu: \"2\"", "cpu: two")]
    [InlineData("apiVersion: autoscaling/v2", "apiVersion: autoscaling/v3")]
    [InlineData("  name: camservice\n", "  name: camservice\n  name: camservice\n")]
    public void BrokenManifests_AreRejected(string good, string broken)
    {
        var yaml = Render("base").Yaml;
        var at = yaml.IndexOf(good, StringComparison.Ordinal);
        Assert.True(at >= 0, $"The rendered base no longer has '{good}' to break.");

        var exception = Record.Exception(() => new Manifests(string.Concat(yaml.AsSpan(0, at), broken, yaml.AsSpan(at + good.Length))));
        Assert.True(exception is not null, $"'{broken}' instead of '{good}' was read without an error.");
    }

    [KustomizeTheory]
    [MemberData(nameof(AllVariants))]
    public void Objects_AreWiredToEachOther(string variant)
    {
        var m = Render(variant);
        var podLabels = m.Deployment.Spec.Template.Metadata.Labels;

        Assert.True(Selects(m.Deployment.Spec.Selector.MatchLabels, podLabels), "The Deployment's selector does not select its own pods.");
        Assert.True(Selects(m.Service.Spec.Selector, podLabels), "The Service does not select the pods.");
        Assert.True(Selects(m.Budget.Spec.Selector.MatchLabels, podLabels), "The PodDisruptionBudget does not select the pods.");
        Assert.Equal(("apps/v1", "Deployment", m.Deployment.Metadata.Name),
            (m.Autoscaler.Spec.ScaleTargetRef.ApiVersion, m.Autoscaler.Spec.ScaleTargetRef.Kind, m.Autoscaler.Spec.ScaleTargetRef.Name));
        Assert.Equal(m.ConfigMap.Metadata.Name, Assert.Single(m.Container.EnvFrom).ConfigMapRef.Name);

        var port = m.Port("http");
        Assert.Equal(port.Name, Assert.Single(m.Service.Spec.Ports).TargetPort.Value);
        var imagePorts = ImagePort().Matches(File.ReadAllText(RepositoryFolder.PathOf("docker", "Dockerfile")));
        Assert.NotEmpty(imagePorts);
        Assert.All(imagePorts, p => Assert.Equal(port.ContainerPort.ToString(CultureInfo.InvariantCulture), p.Groups["port"].Value));
    }

    [KustomizeTheory]
    [MemberData(nameof(AllVariants))]
    public void Settings_AreOnesTheServiceReads_AndTheirValuesBind(string variant)
    {
        var settings = Render(variant).ConfigMap.Data;

        Assert.NotEmpty(settings);
        foreach (var (name, value) in settings)
        {
            var parts = name.Split("__");
            Assert.True(parts.Length == 2, $"'{name}' is not Section__Key.");
            ServiceSettings.AssertBinds(parts[0], parts[1], value);
        }
    }

    [KustomizeTheory]
    [MemberData(nameof(AllVariants))]
    public void Probes_AskLivenessOfTheProcess_AndReadinessOfTheModels(string variant)
    {
        var m = Render(variant);
        var container = m.Container;

        foreach (var (probe, path) in new[] { (container.StartupProbe, "/health/live"), (container.LivenessProbe, "/health/live"), (container.ReadinessProbe, "/health/ready") })
        {
            Assert.NotNull(probe);
            Assert.Equal(path, probe.HttpGet.Path);
            Assert.Equal(m.Port("http").Name, probe.HttpGet.Port.Value);
        }
    }

    [KustomizeTheory]
    [MemberData(nameof(KustomizationsAlone))]
    public async Task ProbePaths_AnswerAsThePodsNeed_WithTheirSettings(string variant)
    {
        var m = Render(variant);
        // The pod's own paths to the models, and no drain delay: the service under test is not behind a Service.
        var settings = m.ConfigMap.Data.Where(s => !s.Key.StartsWith("Models__", StringComparison.Ordinal))
            .ToDictionary(s => s.Key.Replace("__", ":", StringComparison.Ordinal), s => (string?)s.Value);
        settings["Shutdown:DelaySeconds"] = "0";
        // The Secret's hashes, laid out as Kubernetes mounts them: a file per key.
        var keys = Directory.CreateTempSubdirectory("camservice-api-keys-");
        File.WriteAllText(Path.Combine(keys.FullName, "probe"), AuthTests.Sha256(AuthTests.AliceKey));
        settings["Auth:ApiKeysFile"] = keys.FullName;
        using var factory = new ConfiguredFactory(settings);
        var client = await factory.ReadyClientAsync();

        using var live = await client.GetAsync(m.Container.LivenessProbe.HttpGet.Path);
        using var ready = await client.GetAsync(m.Container.ReadinessProbe.HttpGet.Path);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        // No GPU where the tests run: a GPU pod lives on, out of traffic, saying why.
        var device = m.Setting("Inference__Device");
        Assert.Equal(device == "cuda" ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.OK, ready.StatusCode);
        if (device == "cuda")
        {
            Assert.Contains("CUDA", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        // The explanations need one of the Secret's keys.
        await Api.ProblemAsync(await client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng())), 401);
        keys.Delete(recursive: true);
    }

    [KustomizeTheory]
    [MemberData(nameof(AllVariants))]
    public void Keys_AreOn_FromASecretMountedReadOnly_WhereTheServiceReadsThem(string variant)
    {
        var m = Render(variant);

        Assert.Equal("true", m.Setting("Auth__Enabled"));
        var mount = m.Container.VolumeMounts.SingleOrDefault(v => v.MountPath == m.Setting("Auth__ApiKeysFile"));
        Assert.True(mount is not null, $"Nothing is mounted at Auth__ApiKeysFile {m.Setting("Auth__ApiKeysFile")}.");
        Assert.True(mount.ReadOnlyProperty);
        var secret = m.Volume(mount.Name).Secret;
        Assert.True(secret is not null, "The API keys' volume is not a Secret.");
        Assert.Equal("camservice-api-keys", secret.SecretName);
        Assert.NotEqual(true, secret.Optional);
        Assert.True(m.Number("Auth__RequestsPerMinute", 0) > 0, "Each key has no rate of its own.");
    }

    [KustomizeTheory]
    [MemberData(nameof(AllVariants))]
    public void Pods_RunAsNonRoot_OnAReadOnlyRoot_WithNothingToEscalate(string variant)
    {
        var m = Render(variant);
        var pod = m.Deployment.Spec.Template.Spec;
        var container = m.Container.SecurityContext;

        Assert.True(pod.SecurityContext.RunAsNonRoot);
        Assert.True(pod.SecurityContext.RunAsUser > 0);
        Assert.Equal("RuntimeDefault", pod.SecurityContext.SeccompProfile.Type);
        Assert.True(container.ReadOnlyRootFilesystem);
        Assert.False(container.AllowPrivilegeEscalation);
        Assert.NotEqual(true, container.Privileged);
        Assert.Equal(["ALL"], container.Capabilities.Drop);
        Assert.Null(container.Capabilities.Add);
        Assert.False(pod.AutomountServiceAccountToken);
        Assert.All(pod.Volumes, v => Assert.Null(v.HostPath));
    }

    [KustomizeTheory]
    [MemberData(nameof(AllVariants))]
    public void TheCache_IsOnAWritableEmptyDir_AndMountedModelsAreReadOnly(string variant)
    {
        var m = Render(variant);
        var cache = m.Setting("Models__CacheDirectory");
        var models = m.Setting("Models__Directory");

        var cacheMount = m.MountHolding(cache);
        Assert.True(cacheMount is not null, $"Models__CacheDirectory {cache} is on the read-only root.");
        Assert.NotEqual(true, cacheMount.ReadOnlyProperty);
        Assert.NotNull(m.Volume(cacheMount.Name).EmptyDir);
        if (m.MountHolding(models) is { } modelsMount)
        {
            Assert.True(modelsMount.ReadOnlyProperty, $"The models at {models} are mounted writable.");
        }
    }

    [KustomizeTheory]
    [MemberData(nameof(AllVariants))]
    public void Resources_AreGuaranteed_WithAsManyCoresAsTheServiceUses(string variant)
    {
        var m = Render(variant);
        var resources = m.Container.Resources;

        foreach (var name in new[] { "cpu", "memory" })
        {
            Assert.True(resources.Requests.ContainsKey(name) && resources.Limits.ContainsKey(name), $"No {name} request or limit.");
            Assert.Equal(resources.Requests[name].ToDecimal(), resources.Limits[name].ToDecimal());
        }
        var cores = resources.Limits["cpu"].ToDecimal();
        Assert.True(cores == decimal.Truncate(cores), $"A CPU limit of {cores} is not whole.");
        Assert.Equal(cores.ToString(CultureInfo.InvariantCulture), m.Setting("Inference__Cores"));
        Assert.True(resources.Limits["memory"].ToDecimal() > MeasuredPeakBytes, "The memory limit is below the measured peak.");
    }

    [KustomizeTheory]
    [MemberData(nameof(AllVariants))]
    public void TerminationGrace_OutlastsTheDrainAndARequestsDeadline(string variant)
    {
        var m = Render(variant);
        var delay = m.Number("Shutdown__DelaySeconds", new ShutdownOptions().DelaySeconds);
        var shutdown = m.Number("Shutdown__TimeoutSeconds", new ShutdownOptions().TimeoutSeconds);
        var deadline = m.Number("Cam__RequestTimeoutSeconds", new CamOptions().RequestTimeoutSeconds);

        Assert.True(delay > 0, "Without a drain delay, requests that still arrive while proxies catch up find the port closed.");
        Assert.True(shutdown >= delay + deadline, $"Shutdown__TimeoutSeconds {shutdown} cuts explanations admitted just before SIGTERM (delay {delay} + deadline {deadline}).");
        Assert.True(m.Deployment.Spec.Template.Spec.TerminationGracePeriodSeconds > shutdown,
            $"terminationGracePeriodSeconds {m.Deployment.Spec.Template.Spec.TerminationGracePeriodSeconds} kills the pod before its shutdown ({shutdown} s) ends.");
    }

    [KustomizeTheory]
    [MemberData(nameof(AllVariants))]
    public void Autoscaling_OnCpu_WithRoomForOneDisruption(string variant)
    {
        var m = Render(variant);
        var autoscaler = m.Autoscaler.Spec;
        var budget = m.Budget.Spec;

        Assert.Null(m.Deployment.Spec.Replicas);
        Assert.True(autoscaler.MinReplicas >= 2, "With one pod, every drain or restart is an outage.");
        Assert.True(autoscaler.MaxReplicas >= autoscaler.MinReplicas);
        var cpu = Assert.Single(autoscaler.Metrics, metric => metric.Resource?.Name == "cpu").Resource.Target;
        Assert.Equal("Utilization", cpu.Type);
        Assert.InRange(cpu.AverageUtilization ?? 0, 1, 100);
        Assert.True(budget.MaxUnavailable is not null ? budget.MaxUnavailable.ToInt() >= 1 : budget.MinAvailable.ToInt() < autoscaler.MinReplicas,
            "The PodDisruptionBudget lets no pod be evicted at the autoscaler's minimum.");
        Assert.Equal("AlwaysAllow", budget.UnhealthyPodEvictionPolicy);
    }

    [KustomizeTheory]
    [MemberData(nameof(AllVariants))]
    public void QueueScaling_AddsThePredictedWait_BesideCpu_OnlyWhereAsked(string variant)
    {
        var metrics = Render(variant).Autoscaler.Spec.Metrics;
        var onQueue = variant.Contains("components/queue-scaling", StringComparison.Ordinal);

        Assert.Single(metrics, metric => metric.Resource?.Name == "cpu");
        Assert.Equal(onQueue ? 2 : 1, metrics.Count);
        if (onQueue)
        {
            var wait = Assert.Single(metrics, metric => metric.Type == "Pods").Pods;
            // The series MetricsTests scrapes from the service under this name.
            Assert.Equal("camservice_explanations_predicted_wait_seconds", wait.Metric.Name);
            Assert.Equal("AverageValue", wait.Target.Type);
            // Scale out before the pods refuse, which they do past Cam:MaxQueueWaitSeconds.
            Assert.InRange(wait.Target.AverageValue.ToDouble(), 0.1, new CamOptions().MaxQueueWaitSeconds * 0.75);
        }
    }

    [KustomizeTheory]
    [MemberData(nameof(AllVariants))]
    public void TheGpuOverlay_AsksForAGpu_WithTheCudaImage(string variant)
    {
        var m = Render(variant);
        var gpu = variant.StartsWith("overlays/gpu", StringComparison.Ordinal);
        var tag = m.Container.Image[(m.Container.Image.LastIndexOf(':') + 1)..];

        Assert.Equal(gpu ? "cuda" : "cpu", m.Setting("Inference__Device"));
        Assert.Equal(gpu, m.Container.Resources.Limits.TryGetValue(Gpu, out var gpus) && gpus.ToDecimal() >= 1);
        Assert.Equal(gpu, tag == "cuda");
        if (gpu)
        {
            Assert.Equal("false", m.Setting("Inference__AllowCpuFallback"));
            Assert.Matches(@"(?m)^FROM \S+ AS base-cuda\s*$", File.ReadAllText(RepositoryFolder.PathOf("docker", "Dockerfile")));
        }
    }

    [KustomizeTheory]
    [MemberData(nameof(AllVariants))]
    public void TheModelsVolume_ReplacesTheImagesModels_ReadOnly(string variant)
    {
        var m = Render(variant);
        var mount = m.Container.VolumeMounts.SingleOrDefault(v => v.MountPath == m.Setting("Models__Directory"));

        if (variant.EndsWith("components/models-volume", StringComparison.Ordinal))
        {
            Assert.NotNull(mount);
            Assert.True(mount.ReadOnlyProperty);
            Assert.True(m.Volume(mount.Name).PersistentVolumeClaim?.ReadOnlyProperty, "The models' volume is not a read-only PersistentVolumeClaim.");
        }
        else
        {
            Assert.Null(mount);
        }
    }

    [KustomizeTheory]
    [MemberData(nameof(AllVariants))]
    public void Metrics_AreOnAPortOfTheirOwn_ThatTheServiceLeavesOut(string variant)
    {
        var m = Render(variant);
        var metrics = m.Port("metrics");
        var http = m.Port("http");
        var annotations = m.Deployment.Spec.Template.Metadata.Annotations;

        Assert.Equal(metrics.ContainerPort.ToString(CultureInfo.InvariantCulture), m.Setting("Metrics__Port"));
        Assert.NotEqual(http.ContainerPort, metrics.ContainerPort);
        // The service listens on both: the API's port and Metrics__Port.
        var listening = Assert.Single(m.Container.Env, e => e.Name == "ASPNETCORE_HTTP_PORTS").Value.Split(';');
        Assert.Equal([http.ContainerPort.ToString(CultureInfo.InvariantCulture), metrics.ContainerPort.ToString(CultureInfo.InvariantCulture)], listening);
        Assert.DoesNotContain(m.Service.Spec.Ports, p => p.TargetPort.Value == metrics.Name || p.TargetPort.Value == metrics.ContainerPort.ToString(CultureInfo.InvariantCulture));
        Assert.Equal("true", annotations["prometheus.io/scrape"]);
        Assert.Equal(metrics.ContainerPort.ToString(CultureInfo.InvariantCulture), annotations["prometheus.io/port"]);
        Assert.Equal("/metrics", annotations["prometheus.io/path"]);
    }

    [KustomizeTheory]
    [MemberData(nameof(AllVariants))]
    public void TheNetworkPolicy_LetsInTheApiFromAnywhere_MetricsFromMonitoring_AndNothingOut(string variant)
    {
        var m = Render(variant);
        var policy = m.NetworkPolicy.Spec;

        Assert.True(Selects(policy.PodSelector.MatchLabels, m.Deployment.Spec.Template.Metadata.Labels), "The NetworkPolicy does not select the pods.");
        Assert.Equal(["Egress", "Ingress"], policy.PolicyTypes.Order());
        Assert.Empty(policy.Egress ?? []);
        Assert.Equal(2, policy.Ingress.Count);
        var api = Assert.Single(policy.Ingress, rule => rule.Ports.Any(p => p.Port.Value == "http"));
        Assert.Null(api.FromProperty);
        var scrape = Assert.Single(policy.Ingress, rule => rule.Ports.Any(p => p.Port.Value == "metrics"));
        Assert.Equal("monitoring", Assert.Single(scrape.FromProperty).NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]);
        Assert.All(policy.Ingress.SelectMany(rule => rule.Ports), p => Assert.Contains(m.Container.Ports, c => c.Name == p.Port.Value));
    }

    static Manifests Render(string variant) => Rendered.GetOrAdd(variant, v => new Lazy<Manifests>(() => new Manifests(
        v.Split(" + ") switch
        {
            [var folder] => Kustomize.Build(Path.Combine(Root, folder)),
            [var folder, var component] => Kustomize.BuildWith(Path.Combine(Root, folder), Path.Combine(Root, component)),
            _ => throw new ArgumentException($"Not a variant: {v}", nameof(variant)),
        }))).Value;

    static bool Selects(IDictionary<string, string> selector, IDictionary<string, string> labels) =>
        selector.Count > 0 && selector.All(l => labels.TryGetValue(l.Key, out var value) && value == l.Value);

    /// <summary>ASPNETCORE_HTTP_PORTS=8080 in the Dockerfile: the port the image serves on.</summary>
    [GeneratedRegex(@"ASPNETCORE_HTTP_PORTS=(?<port>\d+)")]
    private static partial Regex ImagePort();

    /// <summary>One rendering, read strictly into the API's typed objects.</summary>
    sealed class Manifests
    {
        public Manifests(string yaml)
        {
            Yaml = yaml;
            try
            {
                Objects = KubernetesYaml.LoadAllFromString(yaml, strict: true);
            }
            catch (YamlException e)
            {
                var line = yaml.Split('\n').ElementAtOrDefault((int)e.Start.Line - 1)?.Trim();
                throw new XunitException($"Not a valid Kubernetes object at line {e.Start.Line} of the rendered YAML ('{line}'): {e.InnerException?.Message ?? e.Message}");
            }
            ConfigMap = Objects.OfType<V1ConfigMap>().Single();
            Deployment = Objects.OfType<V1Deployment>().Single();
            Service = Objects.OfType<V1Service>().Single();
            Autoscaler = Objects.OfType<V2HorizontalPodAutoscaler>().Single();
            Budget = Objects.OfType<V1PodDisruptionBudget>().Single();
            NetworkPolicy = Objects.OfType<V1NetworkPolicy>().Single();
            Container = Deployment.Spec.Template.Spec.Containers.Single();
        }

        public string Yaml { get; }
        public List<object> Objects { get; }
        public V1ConfigMap ConfigMap { get; }
        public V1Deployment Deployment { get; }
        public V1Service Service { get; }
        public V2HorizontalPodAutoscaler Autoscaler { get; }
        public V1PodDisruptionBudget Budget { get; }
        public V1NetworkPolicy NetworkPolicy { get; }
        public V1Container Container { get; }

        public string Setting(string name) =>
            ConfigMap.Data.TryGetValue(name, out var value) ? value : throw new XunitException($"The ConfigMap does not set {name}.");

        public double Number(string name, double fallback) =>
            ConfigMap.Data.TryGetValue(name, out var value) ? double.Parse(value, CultureInfo.InvariantCulture) : fallback;

        /// <summary>The container's mount whose folder holds <paramref name="path"/>, or null when it is on the image's root.</summary>
        public V1VolumeMount? MountHolding(string path) => Container.VolumeMounts
            .Where(v => path == v.MountPath || path.StartsWith(v.MountPath.TrimEnd('/') + "/", StringComparison.Ordinal))
            .MaxBy(v => v.MountPath.Length);

        public V1ContainerPort Port(string name) =>
            Container.Ports.SingleOrDefault(p => p.Name == name) ?? throw new XunitException($"The container has no port named {name}.");

        public V1Volume Volume(string name) => Deployment.Spec.Template.Spec.Volumes.Single(v => v.Name == name);
    }
}
