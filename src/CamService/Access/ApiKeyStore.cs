using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace CamService.Access;

/// <summary>
/// The API keys the service accepts, held only as SHA-256 hashes: a leaked configuration or Secret gives
/// no key away. A presented key is hashed and compared with every known hash in constant time, so neither
/// the answer's timing nor an early exit tells how close a guess was.
/// </summary>
public sealed partial class ApiKeyStore
{
    /// <summary>Keys longer than this are refused unhashed: no real key is, and hashing costs per byte.</summary>
    public const int MaxKeyLength = 512;

    readonly (string Name, byte[] Hash)[] keys;

    public ApiKeyStore(IOptions<AccessOptions> options)
    {
        var (loaded, errors) = Load(options.Value);
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(AccessOptions.Section, typeof(AccessOptions), errors);
        }
        keys = [.. loaded];
    }

    /// <summary>How many keys are known.</summary>
    public int Count => keys.Length;

    /// <summary>The name of the key, or null when it is none of the known ones.</summary>
    public string? Find(string presented)
    {
        if (presented.Length is 0 or > MaxKeyLength)
        {
            return null;
        }
        var hash = Hash(presented);
        string? found = null;
        // Every hash is compared, whatever matched before.
        foreach (var (name, known) in keys)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, known))
            {
                found = name;
            }
        }
        return found;
    }

    /// <summary>The SHA-256 of a key's UTF-8 bytes: what Auth:ApiKeys and Auth:ApiKeysFile hold, in hex.</summary>
    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>Every configured key, from Auth:ApiKeys and Auth:ApiKeysFile, and what is wrong with them.</summary>
    internal static (List<(string Name, byte[] Hash)> Keys, List<string> Errors) Load(AccessOptions options)
    {
        var keys = new List<(string Name, byte[] Hash)>();
        var errors = new List<string>();
        foreach (var (entry, index) in options.ApiKeys.Select((entry, index) => (entry, index)))
        {
            Add(entry.Name, entry.Sha256, $"Auth:ApiKeys:{index}");
        }
        if (!string.IsNullOrWhiteSpace(options.ApiKeysFile))
        {
            ReadFile(options.ApiKeysFile, Add, errors);
        }
        foreach (var duplicate in keys.GroupBy(k => k.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            errors.Add($"The API key name '{duplicate.Key}' is used {duplicate.Count()} times: each key needs a name of its own.");
        }
        foreach (var duplicate in keys.GroupBy(k => Convert.ToHexString(k.Hash)).Where(g => g.Count() > 1))
        {
            errors.Add($"The API keys {string.Join(", ", duplicate.Select(k => $"'{k.Name}'"))} have the same hash: one key under several names.");
        }
        return (keys, errors);

        void Add(string name, string sha256, string where)
        {
            if (!KeyName().IsMatch(name))
            {
                errors.Add($"{where}: the name '{Truncate(name)}' is not 1 to 64 letters, digits, '.', '_' or '-' (starting with a letter or digit).");
            }
            else if (!Sha256Hex().IsMatch(sha256))
            {
                errors.Add($"{where}: the key '{name}' is not given as a SHA-256 in hex (64 characters 0-9a-f); `camservice key {name}` makes a key and its hash.");
            }
            else
            {
                keys.Add((name, Convert.FromHexString(sha256)));
            }
        }
    }

    static void ReadFile(string path, Action<string, string, string> add, List<string> errors)
    {
        if (Directory.Exists(path))
        {
            // A mounted Secret: a file per key. Kubernetes keeps its own entries (..data, ..2026_…) beside them.
            var files = Directory.EnumerateFiles(path).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal).ToList();
            if (files.Count == 0)
            {
                errors.Add($"Auth:ApiKeysFile: the folder {path} holds no key.");
            }
            foreach (var file in files)
            {
                add(Path.GetFileName(file), File.ReadAllText(file).Trim(), $"Auth:ApiKeysFile {file}");
            }
        }
        else if (File.Exists(path))
        {
            var count = 0;
            foreach (var (line, number) in File.ReadLines(path).Select((line, index) => (line.Trim(), index + 1)))
            {
                if (line.Length == 0 || line.StartsWith('#'))
                {
                    continue;
                }
                var parts = line.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                add(parts.Length == 2 ? parts[1] : "", parts[0], $"Auth:ApiKeysFile {path} line {number}");
                count++;
            }
            if (count == 0)
            {
                errors.Add($"Auth:ApiKeysFile: the file {path} holds no key.");
            }
        }
        else
        {
            errors.Add($"Auth:ApiKeysFile: there is no file or folder {path}.");
        }
    }

    static string Truncate(string text) => text.Length <= 64 ? text : text[..64] + "…";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex KeyName();

    [GeneratedRegex("^[0-9a-fA-F]{64}$")]
    private static partial Regex Sha256Hex();
}
