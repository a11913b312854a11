using CamService.Testing;

namespace CamService.Tests;

/// <summary>
/// Renders kustomizations offline, as `kubectl apply -k` would, with kubectl's built-in kustomize or
/// a standalone kustomize. Neither comes from a Debian package that knows components (bookworm's
/// kubectl is 1.20), so test.sh cannot install one: where neither is on PATH, the tests that need it
/// are skipped with <see cref="Missing"/> as their reason, never passed.
/// </summary>
public static class Kustomize
{
    static readonly string[]? Command = Find();

    /// <summary>Why kustomizations cannot be rendered here, or null when they can.</summary>
    public static string? Missing => Command is null
        ? "Neither kubectl nor kustomize is on PATH, so deploy/kubernetes is NOT rendered or validated: install kubectl 1.27 or later."
        : null;

    /// <summary>The YAML a kustomization folder renders to; fails with kustomize's own message.</summary>
    public static string Build(string folder)
    {
        var command = Command ?? throw new InvalidOperationException(Missing);
        return Programs.Run(command[0], command.Skip(1).Append(folder), timeout: TimeSpan.FromMinutes(1)).Expect().Output;
    }

    /// <summary>The YAML of <paramref name="resource"/> with <paramref name="component"/> added, as a user's overlay would add it.</summary>
    public static string BuildWith(string resource, string component)
    {
        var folder = Directory.CreateTempSubdirectory("camservice-kustomize-");
        try
        {
            // Kustomize takes no absolute paths, but does take folders outside the kustomization's own.
            File.WriteAllText(Path.Combine(folder.FullName, "kustomization.yaml"), $"""
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                resources:
                  - {Path.GetRelativePath(folder.FullName, resource)}
                components:
                  - {Path.GetRelativePath(folder.FullName, component)}
                """);
            return Build(folder.FullName);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    static string[]? Find()
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        string? Which(string name) => path.Select(folder => Path.Combine(folder, name)).FirstOrDefault(File.Exists);
        return Which("kubectl") is { } kubectl ? [kubectl, "kustomize"]
            : Which("kustomize") is { } kustomize ? [kustomize, "build"]
            : null;
    }
}

/// <summary>A fact that renders kustomizations: skipped, with the reason, where no tool can.</summary>
public sealed class KustomizeFactAttribute : FactAttribute
{
    public KustomizeFactAttribute() => Skip = Kustomize.Missing;
}

/// <summary>A theory that renders kustomizations: skipped, with the reason, where no tool can.</summary>
public sealed class KustomizeTheoryAttribute : TheoryAttribute
{
    public KustomizeTheoryAttribute() => Skip = Kustomize.Missing;
}
