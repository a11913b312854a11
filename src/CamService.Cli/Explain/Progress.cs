using System.Globalization;

namespace CamService.Cli.Explain;

/// <summary>
/// How far a long run is, on stderr (stdout stays for results): a bar redrawn in place on a terminal; where
/// stderr is a file or a pipe, where a bar would be a mess of carriage returns, a plain line at most every
/// <paramref name="interval"/> and one at the end.
/// </summary>
/// <param name="writer">stderr.</param>
/// <param name="terminal">Whether <paramref name="writer"/> is a terminal.</param>
/// <param name="total">Units of work: images × models.</param>
/// <param name="elapsed">Time since the run began (a stopwatch; the tests' own clock).</param>
/// <param name="interval">Least time between two plain lines.</param>
public sealed class Progress(TextWriter writer, bool terminal, int total, Func<TimeSpan> elapsed, TimeSpan interval)
{
    const int BarWidth = 30;

    int done;
    TimeSpan? lastLine;
    int barLength;

    public int Done => done;

    /// <summary><paramref name="units"/> more are finished, failed ones included.</summary>
    public void Advance(int units)
    {
        done = Math.Min(total, done + units);
        var now = elapsed();
        if (terminal)
        {
            // Padded to the last bar's length: a shorter one would leave the end of the longer one behind.
            var line = Describe(now, bar: true);
            writer.Write("\r" + line.PadRight(barLength));
            barLength = line.Length;
        }
        else if (lastLine is null || now - lastLine >= interval)
        {
            writer.WriteLine(Describe(now, bar: false));
            lastLine = now;
        }
        writer.Flush();
    }

    /// <summary>A message of its own line (a skipped image), not written over by the bar.</summary>
    public void Note(string message)
    {
        if (barLength > 0)
        {
            writer.Write("\r" + new string(' ', barLength) + "\r");
            barLength = 0;
        }
        writer.WriteLine(message);
    }

    /// <summary>The last state on a line of its own.</summary>
    public void Finish()
    {
        var now = elapsed();
        if (terminal)
        {
            writer.WriteLine(barLength > 0 ? string.Empty : Describe(now, bar: true));
        }
        else if (lastLine != now)
        {
            writer.WriteLine(Describe(now, bar: false));
        }
        barLength = 0;
        writer.Flush();
    }

    string Describe(TimeSpan now, bool bar)
    {
        var share = total == 0 ? 1 : (double)done / total;
        var text = string.Create(CultureInfo.InvariantCulture, $"{done}/{total} image×model ({share:P0}), {now.TotalSeconds:F1} s");
        if (done > 0 && done < total)
        {
            text += string.Create(CultureInfo.InvariantCulture, $", about {now.TotalSeconds * (total - done) / done:F0} s left");
        }
        if (!bar)
        {
            return "explain: " + text;
        }
        var filled = (int)Math.Round(share * BarWidth);
        return $"[{new string('#', filled)}{new string('.', BarWidth - filled)}] {text}";
    }
}
