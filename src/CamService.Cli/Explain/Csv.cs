using System.Globalization;
using System.Text;

namespace CamService.Cli.Explain;

/// <summary>The CSV files of a run: RFC 4180 quoting, CRLF rows, invariant round-trip numbers.</summary>
public static class Csv
{
    public static void AppendRow(StringBuilder csv, IEnumerable<string> fields)
    {
        csv.AppendJoin(',', fields.Select(Quote)).Append("\r\n");
    }

    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static string Number(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>An optional value: empty when absent.</summary>
    public static string Number(double? value) => value is { } v ? Number(v) : "";

    static string Quote(string field) => field.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + field.Replace("\"", "\"\"") + "\"" : field;
}
