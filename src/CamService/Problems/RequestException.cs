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
    IReadOnlyDictionary<string, object?>? extensions = null) : Exception(detail)
{
    public int Status { get; } = status;

    public string Title { get; } = title;

    /// <summary>Field errors, by field name, for 400 responses.</summary>
    public IDictionary<string, string[]>? Errors { get; } = errors;

    /// <summary>Further members of the problem, for clients to read without parsing the detail.</summary>
    public IReadOnlyDictionary<string, object?>? Extensions { get; } = extensions;

    public static RequestException BadField(string field, string message) =>
        new(StatusCodes.Status400BadRequest, "Invalid request", message, new Dictionary<string, string[]> { [field] = [message] });
}
