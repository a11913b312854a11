using System.Text.RegularExpressions;

namespace CamService.Tests.CodeShape;

/// <summary>A member of a type (method, constructor, accessor block, expression-bodied member): where it starts and its lines.</summary>
sealed record Member(string Name, int Line, int Lines, bool Exempt);

/// <summary>
/// The shape of one C# file by brace counting over <see cref="CSharpCode.Blank"/>: its lines and its members with theirs,
/// from the first line of a member's declaration (after its attributes) to its closing brace or semicolon. A file or a
/// member is exempt from the size rules with a reason: a line "// Long because: ..." first in the file, or directly
/// above the member (among its doc comment and attributes).
/// </summary>
sealed partial class SourceShape
{
    public int Lines { get; }
    public bool Exempt { get; }
    public IReadOnlyList<Member> Members { get; }

    SourceShape(int lines, bool exempt, IReadOnlyList<Member> members) => (Lines, Exempt, Members) = (lines, exempt, members);

    public static SourceShape Of(string source)
    {
        var lines = source.Split('\n');
        var count = lines.Length - (source.EndsWith('\n') ? 1 : 0);
        return new SourceShape(count, lines.Length > 0 && Reason().IsMatch(lines[0]), FindMembers(CSharpCode.Blank(source), lines));
    }

    /// <summary>What an open brace opens: a body of members (namespace, type), a member's body, or a brace inside an expression.</summary>
    enum Brace { Members, Member, Expression }

    /// <summary>The members, by a walk that knows, at each open brace, what it opens.</summary>
    static List<Member> FindMembers(string code, string[] lines)
    {
        var members = new List<Member>();
        var braces = new Stack<Brace>();
        int? start = null;
        for (var i = 0; i < code.Length; i++)
        {
            var c = code[i];
            if (braces.TryPeek(out var open) && open != Brace.Members)
            {
                if (c == '{')
                {
                    braces.Push(Brace.Expression);
                }
                else if (c == '}' && braces.Pop() == Brace.Member && (braces.Count == 0 || braces.Peek() == Brace.Members))
                {
                    members.Add(NewMember(code, lines, start!.Value, i));
                    start = null;
                }
                continue;
            }
            if (char.IsWhiteSpace(c))
            {
                continue;
            }
            if (start is null && c == '[')
            {
                i = SkipAttribute(code, i);
                continue;
            }
            start ??= i;
            switch (c)
            {
                case '{':
                    braces.Push(Opens(code[start.Value..i]));
                    start = braces.Peek() == Brace.Members ? null : start;
                    break;
                case '}':
                    braces.TryPop(out _);
                    start = null;
                    break;
                case ';':
                    if (IsExpressionBodied(Header(code, start.Value, i)))
                    {
                        members.Add(NewMember(code, lines, start.Value, i));
                    }
                    start = null;
                    break;
            }
        }
        return members;
    }

    /// <summary>
    /// A declaration's brace: in an initializer or an arrow's expression after any '=', a type's or namespace's body after
    /// its keyword, else a member's body (method, constructor, accessors).
    /// </summary>
    static Brace Opens(string declaration) =>
        FirstEquals(declaration) >= 0 ? Brace.Expression : TypeKeyword().IsMatch(declaration) ? Brace.Members : Brace.Member;

    /// <summary>The first '=' outside parentheses (a parameter's default value is inside them), or -1.</summary>
    static int FirstEquals(string declaration)
    {
        var depth = 0;
        for (var i = 0; i < declaration.Length; i++)
        {
            depth += declaration[i] switch { '(' => 1, ')' => -1, _ => 0 };
            if (depth == 0 && declaration[i] == '=')
            {
                return i;
            }
        }
        return -1;
    }

    static int SkipAttribute(string code, int i)
    {
        var depth = 0;
        for (; i < code.Length; i++)
        {
            depth += code[i] switch { '[' => 1, ']' => -1, _ => 0 };
            if (depth == 0)
            {
                return i;
            }
        }
        return i;
    }

    static Member NewMember(string code, string[] lines, int start, int end)
    {
        var first = LineOf(code, start);
        var header = Header(code, start, end);
        var name = MemberName().Match(header) is { Success: true } m ? m.Groups["name"].Value : header.Trim();
        return new Member(name, first + 1, LineOf(code, end) - first + 1, ReasonAbove(lines, first));
    }

    /// <summary>A reason among the comment and attribute lines directly above the member's first line.</summary>
    static bool ReasonAbove(string[] lines, int first)
    {
        for (var k = first - 1; k >= 0; k--)
        {
            var text = lines[k].Trim();
            if (Reason().IsMatch(text))
            {
                return true;
            }
            if (!text.StartsWith("//", StringComparison.Ordinal) && !text.StartsWith('['))
            {
                return false;
            }
        }
        return false;
    }

    /// <summary>The declaration up to its body or arrow, on one line.</summary>
    static string Header(string code, int start, int end)
    {
        var text = code[start..end];
        var arrow = text.IndexOf("=>", StringComparison.Ordinal);
        return Regex.Replace(arrow >= 0 ? text[..(arrow + 2)] : text, @"\s+", " ");
    }

    /// <summary>A member whose first '=' (outside parentheses) is its arrow (a field's initializer has '=' first, even with lambdas in it).</summary>
    static bool IsExpressionBodied(string header) => FirstEquals(header) is var equals and >= 0 && header.AsSpan(equals).StartsWith("=>");

    static int LineOf(string code, int index) => code.AsSpan(0, index).Count('\n');

    [GeneratedRegex(@"^//\s*Long because:\s*\S")]
    private static partial Regex Reason();

    /// <summary>A type or namespace declaration: its keyword before any parameter list (a constraint "where T : class" comes after).</summary>
    [GeneratedRegex(@"^[^(]*\b(class|struct|interface|enum|record|namespace)\b")]
    private static partial Regex TypeKeyword();

    [GeneratedRegex(@"(?<name>(?:operator\s*\S+|[\w.]+(?:<[^(]*>)?))\s*\(|(?<name>\w+)\s*(?:=>|\{|$)")]
    private static partial Regex MemberName();
}
