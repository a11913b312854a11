using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace CamService.Cli.Commands;

/// <summary>
/// key &lt;name&gt;: a new API key for the service, and the SHA-256 it is configured with (Auth:ApiKeys or the
/// Secret of Auth:ApiKeysFile). The key is printed once and kept nowhere: the service holds only its hash.
/// </summary>
public static partial class KeyCommand
{
    public const string Usage = "key <name>";

    public static int Run(Arguments args, TextWriter output)
    {
        var name = args.Positional(0, "the key's name");
        args.RejectUnknown(1);
        if (!KeyName().IsMatch(name))
        {
            throw new UsageException($"The key's name '{name}' is not 1 to 64 letters, digits, '.', '_' or '-' (starting with a letter or digit).");
        }

        // 32 random bytes, base64url: no '.', so the service never takes a key for a JWT.
        var key = "cs_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
        output.WriteLine($"key     {key}");
        output.WriteLine($"sha256  {hash}");
        output.WriteLine();
        output.WriteLine("Give the key to its client (X-Api-Key: KEY, or Authorization: Bearer KEY); configure the service with the hash:");
        output.WriteLine($"  kubectl create secret generic camservice-api-keys --from-literal={name}={hash}   # or add it to the Secret");
        output.WriteLine($"  Auth__Enabled=true Auth__ApiKeys__0__Name={name} Auth__ApiKeys__0__Sha256={hash}");
        return 0;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex KeyName();
}
