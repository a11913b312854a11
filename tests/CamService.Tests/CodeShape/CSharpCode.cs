using System.Text;

namespace CamService.Tests.CodeShape;

/// <summary>
/// C# source with its comments and the contents of its string and character literals blanked (line breaks kept), so
/// braces, brackets and semicolons that remain are the code's own. Interpolation holes stay code: their braces balance.
/// </summary>
static class CSharpCode
{
    /// <summary>A literal being read: its closing quotes (1, or a raw string's 3 or more), verbatim, and its interpolation ($ count).</summary>
    sealed record Literal(int Quotes, bool Verbatim, int Dollars)
    {
        /// <summary>Braces open in the current hole; -1 while in the literal's text.</summary>
        public int HoleDepth { get; set; } = -1;
    }

    public static string Blank(string source)
    {
        var code = new StringBuilder(source);
        var literals = new Stack<Literal>();
        var i = 0;
        while (i < source.Length)
        {
            i = literals.TryPeek(out var literal) && literal.HoleDepth < 0
                ? InLiteral(source, code, i, literals)
                : InCode(source, code, i, literals);
        }
        return code.ToString();
    }

    static int InCode(string source, StringBuilder code, int i, Stack<Literal> literals)
    {
        var c = source[i];
        if (c == '/' && At(source, i + 1) == '/')
        {
            var end = source.IndexOf('\n', i);
            return Clear(code, i, end < 0 ? source.Length : end);
        }
        if (c == '/' && At(source, i + 1) == '*')
        {
            var end = source.IndexOf("*/", i + 2, StringComparison.Ordinal);
            return Clear(code, i, end < 0 ? source.Length : end + 2);
        }
        if (c == '\'')
        {
            var end = i + 1;
            while (end < source.Length && source[end] != '\'')
            {
                end += source[end] == '\\' ? 2 : 1;
            }
            Clear(code, i + 1, end);
            return end + 1;
        }
        if (literals.TryPeek(out var hole) && hole.HoleDepth >= 0 && (c == '{' || c == '}'))
        {
            hole.HoleDepth += c == '{' ? 1 : -1;
            return i + 1;
        }
        return c is '"' or '$' or '@' ? OpenLiteral(source, i, literals) : i + 1;
    }

    /// <summary>A literal's prefix ($, @, quotes): pushed when it starts one, else one character of code.</summary>
    static int OpenLiteral(string source, int i, Stack<Literal> literals)
    {
        var start = i;
        var dollars = 0;
        var verbatim = false;
        while (i < source.Length && (source[i] == '$' || source[i] == '@'))
        {
            dollars += source[i] == '$' ? 1 : 0;
            verbatim |= source[i] == '@';
            i++;
        }
        var quotes = 0;
        while (At(source, i + quotes) == '"')
        {
            quotes++;
        }
        if (quotes == 0)
        {
            return start + 1;
        }
        // A verbatim literal's "" is a quote inside it.
        if (verbatim)
        {
            literals.Push(new Literal(1, Verbatim: true, dollars));
            return i + 1;
        }
        // "" is an empty literal; three or more open a raw one.
        if (quotes == 2)
        {
            return i + 2;
        }
        literals.Push(new Literal(quotes >= 3 ? quotes : 1, Verbatim: false, dollars));
        return i + (quotes >= 3 ? quotes : 1);
    }

    static int InLiteral(string source, StringBuilder code, int i, Stack<Literal> literals)
    {
        var literal = literals.Peek();
        var c = source[i];
        if (c == '\\' && !literal.Verbatim && literal.Quotes == 1)
        {
            return Clear(code, i, Math.Min(i + 2, source.Length));
        }
        if (c == '"')
        {
            if (literal.Verbatim && literal.Quotes == 1 && At(source, i + 1) == '"')
            {
                return Clear(code, i, i + 2);
            }
            var run = 0;
            while (At(source, i + run) == '"')
            {
                run++;
            }
            if (run >= literal.Quotes)
            {
                literals.Pop();
                return i + literal.Quotes;
            }
            return Clear(code, i, i + run);
        }
        if (c == '{' && literal.Dollars > 0)
        {
            var run = 0;
            while (At(source, i + run) == '{')
            {
                run++;
            }
            // {{ is a brace of the text in a $"..." literal; a raw one's holes open with as many braces as it has $.
            if (literal.Quotes == 1 ? run % 2 == 1 : run >= literal.Dollars)
            {
                Clear(code, i, i + run - 1);
                literal.HoleDepth = 0;
                return i + run;
            }
            return Clear(code, i, i + run);
        }
        return Clear(code, i, i + 1);
    }

    /// <summary>Blanks [<paramref name="from"/>, <paramref name="to"/>) but its line breaks; returns <paramref name="to"/>.</summary>
    static int Clear(StringBuilder code, int from, int to)
    {
        for (var k = from; k < to; k++)
        {
            if (code[k] != '\n')
            {
                code[k] = ' ';
            }
        }
        return to;
    }

    static char At(string source, int i) => i < source.Length ? source[i] : '\0';
}
