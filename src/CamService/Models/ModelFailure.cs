using System.Text.RegularExpressions;

namespace CamService.Models;

/// <summary>
/// Why a model failed to load, in the words clients may read (GET /models, /health, and the 503 of a request
/// that names it): the loader's message with every absolute path cut to its file name. Which folders hold the
/// models and their cache is the deployment's business, not a caller's; the full message is in the log.
/// </summary>
public static partial class ModelFailure
{
    public static string Describe(Exception e) => Folders().Replace(e.Message, "");

    /// <summary>
    /// The folders of an absolute path (/a/b/ or C:\a\b\), up to its last separator. Not after a word character,
    /// ':' or '/', so the "//host/" of a URL is left alone.
    /// </summary>
    [GeneratedRegex(@"(?<![\w:/.~-])(?:/|[A-Za-z]:\\)(?:[^\s'""/\\]+[/\\])+")]
    private static partial Regex Folders();
}
