using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using CamService.Cam;
using CamService.Testing;
using Microsoft.Extensions.Configuration;

namespace CamService.Tests;

/// <summary>
/// The README and docs/ kept true to the repository: the README stays a short guide with the two commands and a
/// link to every page of docs/, every relative link of the README and docs/ reaches a file (and a heading, when it
/// names one), and docs/configuration.md lists every setting the service binds with the default it runs with.
/// </summary>
public sealed partial class DocumentationTests
{
    const int ReadmeMaxLines = 300;
    static readonly string Readme = RepositoryFolder.PathOf("README.md");
    static readonly string Docs = RepositoryFolder.PathOf("docs");

    public static TheoryData<string> MarkdownFiles()
    {
        var files = new TheoryData<string>();
        files.Add("README.md");
        foreach (var file in Directory.GetFiles(Docs, "*.md").Order(StringComparer.Ordinal))
        {
            files.Add(Path.GetRelativePath(RepositoryFolder.Root, file));
        }
        return files;
    }

    [Fact]
    public void Readme_IsAShortGuide()
    {
        var lines = File.ReadAllLines(Readme).Length;
        Assert.True(lines < ReadmeMaxLines, $"README.md has {lines} lines; it is a guide of under {ReadmeMaxLines}: reference and figures go in docs/.");
    }

    [Fact]
    public void Readme_GivesExactlyTheTwoCommands()
    {
        var lines = File.ReadAllLines(Readme);
        var section = Array.FindIndex(lines, l => l.StartsWith("## Two commands", StringComparison.Ordinal));
        Assert.True(section >= 0, "README.md has no \"## Two commands\" section.");
        var fence = Array.FindIndex(lines, section, l => l.StartsWith("```", StringComparison.Ordinal));
        var end = Array.FindIndex(lines, fence + 1, l => l.StartsWith("```", StringComparison.Ordinal));
        var commands = lines[(fence + 1)..end].Where(l => l.Trim().Length > 0).Select(l => l.Split(' ', 2)[0]).ToArray();

        Assert.Equal(["./run.sh", "./test.sh"], commands);
        Assert.All(commands, c => Assert.True(File.Exists(RepositoryFolder.PathOf(c[2..])), $"{c} is not in the repository."));
    }

    [Fact]
    public void Readme_LinksEveryPageOfDocs()
    {
        var linked = Links(File.ReadAllText(Readme)).Select(l => l.Split('#')[0]).ToHashSet(StringComparer.Ordinal);
        var unlinked = Directory.GetFiles(Docs, "*.md").Select(f => "docs/" + Path.GetFileName(f)).Where(f => !linked.Contains(f)).ToList();
        Assert.True(unlinked.Count == 0, $"README.md does not link {string.Join(", ", unlinked)}.");
    }

    [Theory]
    [MemberData(nameof(MarkdownFiles))]
    public void EveryRelativeLink_ReachesAFileAndHeading(string file)
    {
        var path = RepositoryFolder.PathOf(file);
        var broken = new List<string>();
        foreach (var link in Links(File.ReadAllText(path)).Where(l => !AbsoluteLink().IsMatch(l)))
        {
            var parts = link.Split('#', 2);
            var target = parts[0].Length == 0 ? path : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, Uri.UnescapeDataString(parts[0])));
            if (!File.Exists(target) && !Directory.Exists(target))
            {
                broken.Add($"{link}: no such file");
            }
            else if (parts.Length == 2 && target.EndsWith(".md", StringComparison.Ordinal) && !Anchors(File.ReadAllText(target)).Contains(parts[1]))
            {
                broken.Add($"{link}: no such heading");
            }
        }
        Assert.True(broken.Count == 0, $"{file}: {string.Join("; ", broken)}");
    }

    [Fact]
    public void Anchors_AreMadeAsGitHubMakesThem()
    {
        var anchors = Anchors("# The API\n## POST /cam/animation\n```\n# not a heading\n```\n## Faithfulness (`metrics`)\n## The pod's limit\n## Notes\n## Notes\n");
        Assert.Equal(["the-api", "post-camanimation", "faithfulness-metrics", "the-pods-limit", "notes", "notes-1"], anchors);
    }

    [Fact]
    public void ConfigurationDoc_ListsEverySettingWithTheDefaultItRunsWith()
    {
        var documented = DocumentedSettings();
        var bound = BoundSettings();
        var problems = new List<string>();
        foreach (var (key, value) in bound)
        {
            if (!documented.TryGetValue(key, out var written))
            {
                problems.Add($"{key} is not documented (default `{value}`)");
            }
            else if (written != value)
            {
                problems.Add($"{key}: documented default `{written}`, the service's `{value}`");
            }
        }
        Assert.True(problems.Count == 0, "docs/configuration.md: " + string.Join("; ", problems));
    }

    [Fact]
    public void ConfigurationDoc_ListsOnlySettingsTheServiceReads()
    {
        var bound = BoundSettings();
        var appSettings = AppSettings().AsEnumerable().Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value!, StringComparer.Ordinal);
        var sources = string.Concat(Directory.GetFiles(RepositoryFolder.PathOf("src", "CamService"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText));
        var problems = new List<string>();
        foreach (var (key, value) in DocumentedSettings().Where(s => !bound.ContainsKey(s.Key)))
        {
            // Not an options class's: a key of appsettings.json (with its value), or one the code reads by name.
            if (appSettings.TryGetValue(key, out var set) ? set != value : !(value == "unset" && sources.Contains($"\"{key}\"", StringComparison.Ordinal)))
            {
                problems.Add($"{key} (`{value}`)");
            }
        }
        problems.AddRange(appSettings.Keys.Where(k => !DocumentedSettings().ContainsKey(k)).Select(k => $"{k} of appsettings.json is not documented"));
        Assert.True(problems.Count == 0, "docs/configuration.md: settings the service does not read as documented: " + string.Join("; ", problems));
    }

    /// <summary>The targets of a Markdown text's links and images, outside code blocks and code spans.</summary>
    static List<string> Links(string markdown)
    {
        var prose = CodeSpan().Replace(string.Join('\n', OutsideCodeBlocks(markdown)), "");
        return [.. LinkTarget().Matches(prose).Select(m => m.Groups["target"].Value)];
    }

    /// <summary>The anchors GitHub gives a Markdown text's headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered.</summary>
    static List<string> Anchors(string markdown)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var anchors = new List<string>();
        foreach (var heading in OutsideCodeBlocks(markdown).Select(l => Heading().Match(l)).Where(m => m.Success))
        {
            var slug = new StringBuilder();
            foreach (var c in heading.Groups["text"].Value.Trim().ToLowerInvariant())
            {
                if (char.IsLetterOrDigit(c) || c is '-' or '_')
                {
                    slug.Append(c);
                }
                else if (c == ' ')
                {
                    slug.Append('-');
                }
            }
            var anchor = slug.ToString();
            var count = seen.GetValueOrDefault(anchor);
            seen[anchor] = count + 1;
            anchors.Add(count == 0 ? anchor : $"{anchor}-{count}");
        }
        return anchors;
    }

    static IEnumerable<string> OutsideCodeBlocks(string markdown)
    {
        var inBlock = false;
        foreach (var line in markdown.Split('\n'))
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inBlock = !inBlock;
            }
            else if (!inBlock)
            {
                yield return line;
            }
        }
    }

    /// <summary>docs/configuration.md's table rows: `key` | `default`.</summary>
    static Dictionary<string, string> DocumentedSettings()
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match row in SettingRow().Matches(File.ReadAllText(Path.Combine(Docs, "configuration.md"))))
        {
            Assert.True(settings.TryAdd(row.Groups["key"].Value, row.Groups["default"].Value), $"{row.Groups["key"].Value} is documented twice.");
        }
        return settings;
    }

    /// <summary>Every key of every options class of the service (those with a Section), with its value after appsettings.json.</summary>
    static Dictionary<string, string> BoundSettings()
    {
        var configuration = AppSettings();
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        var optionTypes = typeof(CamOptions).Assembly.GetTypes()
            .Where(t => t.GetField("Section", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } && t.GetConstructor(Type.EmptyTypes) is not null);
        foreach (var type in optionTypes)
        {
            var section = (string)type.GetField("Section")!.GetRawConstantValue()!;
            var options = Activator.CreateInstance(type)!;
            configuration.GetSection(section).Bind(options);
            Collect(section, options, settings);
        }
        Assert.Contains("Cam:MaxBodyBytes", settings.Keys);
        return settings;
    }

    static void Collect(string prefix, object options, Dictionary<string, string> settings)
    {
        foreach (var property in options.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true }))
        {
            var key = $"{prefix}:{property.Name}";
            var value = property.GetValue(options);
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (type.IsClass && type != typeof(string) && !typeof(IEnumerable).IsAssignableFrom(type))
            {
                Collect(key, value!, settings);
            }
            else
            {
                settings[key] = Format(value);
            }
        }
    }

    static string Format(object? value) => value switch
    {
        null => "unset",
        bool b => b ? "true" : "false",
        Enum e => e.ToString().ToLowerInvariant(),
        string s => s,
        IEnumerable items => items.Cast<object>().Any() ? string.Join(",", items.Cast<object>().Select(Format)) : "[]",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString()!,
    };

    static IConfigurationRoot AppSettings() =>
        new ConfigurationBuilder().AddJsonFile(RepositoryFolder.PathOf("src", "CamService", "appsettings.json")).Build();

    [GeneratedRegex(@"!?\[[^\]]*\]\((?<target>[^)\s]+)(\s+""[^""]*"")?\)")]
    private static partial Regex LinkTarget();

    [GeneratedRegex(@"`[^`\n]*`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"^(https?|mailto):")]
    private static partial Regex AbsoluteLink();

    [GeneratedRegex(@"^#{1,6}\s+(?<text>.+?)\s*#*\s*$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"^\| `(?<key>[A-Za-z][^`]*)` \| `(?<default>[^`]*)` \|", RegexOptions.Multiline)]
    private static partial Regex SettingRow();
}
