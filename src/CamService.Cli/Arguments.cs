using System.Globalization;

namespace CamService.Cli;

/// <summary>Positional arguments and --options of one command line, with clear errors.</summary>
public sealed class Arguments
{
    readonly List<string> positional = [];
    readonly Dictionary<string, string?> options = new(StringComparer.Ordinal);
    readonly HashSet<string> read = [];

    public Arguments(IEnumerable<string> args, IReadOnlySet<string> flags)
    {
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var arg = e.Current;
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                positional.Add(arg);
                continue;
            }
            var name = arg[2..];
            string? value = null;
            var equals = name.IndexOf('=');
            if (equals >= 0)
            {
                (name, value) = (name[..equals], name[(equals + 1)..]);
            }
            else if (!flags.Contains(name))
            {
                value = e.MoveNext() ? e.Current : throw new UsageException($"--{name} needs a value.");
            }
            options[name] = value;
        }
    }

    public string Positional(int index, string what) =>
        index < positional.Count ? positional[index] : throw new UsageException($"Missing {what}.");

    public int PositionalCount => positional.Count;

    public string? Option(string name)
    {
        read.Add(name);
        return options.GetValueOrDefault(name);
    }

    /// <summary>Whether the option was given at all, with or without a value.</summary>
    public bool Present(string name)
    {
        read.Add(name);
        return options.ContainsKey(name);
    }

    /// <summary>
    /// A switch: --name alone is on; --name=true or --name=false (also 1/0, yes/no, on/off) says which, so that a
    /// script can pass a variable through; anything else is a usage error rather than a silent "on".
    /// </summary>
    public bool Flag(string name)
    {
        if (!Present(name) || options[name] is not { } value)
        {
            return options.ContainsKey(name);
        }
        return value.ToLowerInvariant() switch
        {
            "true" or "1" or "yes" or "on" => true,
            "false" or "0" or "no" or "off" => false,
            _ => throw new UsageException($"--{name} is a switch: give it alone, or as --{name}=true or --{name}=false, not '{value}'."),
        };
    }

    public int Int(string name, int fallback) => Option(name) is { } v
        ? int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : throw new UsageException($"--{name} must be an integer.")
        : fallback;

    public double Double(string name, double fallback) => Option(name) is { } v
        ? double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw new UsageException($"--{name} must be a number.")
        : fallback;

    /// <summary>An enum member by name, any case ("crop", "jet"); the error lists the names.</summary>
    public TEnum Choice<TEnum>(string name, TEnum fallback) where TEnum : struct, Enum
    {
        if (Option(name) is not { } value)
        {
            return fallback;
        }
        foreach (var choice in Enum.GetValues<TEnum>())
        {
            if (string.Equals(choice.ToString(), value, StringComparison.OrdinalIgnoreCase))
            {
                return choice;
            }
        }
        throw new UsageException($"--{name} must be one of {string.Join(", ", Enum.GetNames<TEnum>().Select(n => n.ToLowerInvariant()))}.");
    }

    /// <summary>Fails on options the command never asked about (typos).</summary>
    public void RejectUnknown(int maxPositional)
    {
        var unknown = options.Keys.Where(k => !read.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new UsageException($"Unknown option(s): {string.Join(", ", unknown.Select(u => "--" + u))}.");
        }
        if (positional.Count > maxPositional)
        {
            throw new UsageException($"Unexpected argument '{positional[maxPositional]}'.");
        }
    }
}

/// <summary>The command line is wrong; the message says how.</summary>
public sealed class UsageException(string message) : Exception(message);
