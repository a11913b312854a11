namespace CamService.Problems;

/// <summary>
/// A request the service refuses, with the HTTP status and the words to say why. Thrown where the
/// problem is found; <see cref="ProblemExceptionHandler"/> writes it as application/problem+json.
/// </summary>
public class RequestException(
    int status,
    string title,
    string detail,
    IDictionary<string, string[]>? errors = null,
    IReadOnlyDictionary<string, object?>? extensions = null,
    Exception? inner = null) : Exception(detail, inner)
{
    public int Status { get; } = status;

    public string Title { get; } = title;

    /// <summary>Field errors, by field name, for 400 responses.</summary>
    public IDictionary<string, string[]>? Errors { get; } = errors;

    /// <summary>Further members of the problem, for clients to read without parsing the detail.</summary>
    public IReadOnlyDictionary<string, object?>? Extensions { get; } = extensions;

    /// <summary>Longest field name an answer repeats: longer ones are cut (and marked with "…").</summary>
    public const int MaxEchoedName = 64;

    /// <summary>
    /// A 400 naming <paramref name="field"/>. The name comes from the client and may be anything (a megabyte, control
    /// characters), so the answer repeats it cut to <see cref="MaxEchoedName"/> characters of printable ASCII, both as
    /// the key of "errors" and wherever <paramref name="message"/> quotes it.
    /// </summary>
    public static RequestException BadField(string field, string message)
    {
        var name = EchoedName(field);
        if (name != field && field.Length > 0)
        {
            message = message.Replace(field, name, StringComparison.Ordinal);
        }
        return new(StatusCodes.Status400BadRequest, "Invalid request", message, new Dictionary<string, string[]> { [name] = [message] });
    }

    /// <summary>A client's name as an answer may repeat it: printable ASCII (others become '?'), at most <see cref="MaxEchoedName"/> characters.</summary>
    public static string EchoedName(string name)
    {
        var kept = name.Length > MaxEchoedName ? name[..MaxEchoedName] : name;
        var safe = string.Create(kept.Length, kept, (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = source[i] is >= ' ' and <= '~' ? source[i] : '?';
            }
        });
        return name.Length > MaxEchoedName ? safe + "…" : safe;
    }
}
