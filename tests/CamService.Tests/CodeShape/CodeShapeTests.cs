using CamService.Testing;

namespace CamService.Tests.CodeShape;

/// <summary>
/// The size rules of src/: no file over 300 lines and no member over 60, unless a "// Long because: ..." line gives
/// the reason (first in the file, or directly above the member). Long code hides more than one job; the reason is
/// written where the code is, so there is no list of exemptions to drift from it. The scanner is tested on samples.
/// </summary>
public sealed class CodeShapeTests
{
    const int MaxFileLines = 300;
    const int MaxMemberLines = 60;

    [Fact]
    public void SourceFilesAndMembers_StayWithinTheirSize_OrSayWhyNot()
    {
        var source = RepositoryFolder.PathOf("src");
        var offenders = new List<string>();
        foreach (var path in Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories).Where(IsSource).Order(StringComparer.Ordinal))
        {
            var name = Path.GetRelativePath(RepositoryFolder.Root, path).Replace('\\', '/');
            var shape = SourceShape.Of(File.ReadAllText(path));
            if (shape.Lines > MaxFileLines && !shape.Exempt)
            {
                offenders.Add($"{name}: {shape.Lines} lines (at most {MaxFileLines})");
            }
            offenders.AddRange(shape.Members.Where(m => m.Lines > MaxMemberLines && !m.Exempt)
                .Select(m => $"{name}:{m.Line}: {m.Name} is {m.Lines} lines (at most {MaxMemberLines})"));
        }

        Assert.True(offenders.Count == 0,
            $"{offenders.Count} over the size rules; split them, or give the reason in a '// Long because: ...' line:\n{string.Join('\n', offenders)}");
    }

    static bool IsSource(string path)
    {
        var parts = path.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        return !parts.Contains("bin") && !parts.Contains("obj");
    }

    [Fact]
    public void Scanner_MeasuresMembers_FromTheirDeclarationToTheirEnd()
    {
        var shape = SourceShape.Of(""""
            namespace N;

            /// <summary>A type.</summary>
            sealed class C<T> where T : class
            {
                static readonly int[] Table = [1, 2];
                static readonly Func<int, int> Twice = x => { return x * 2; };

                [Obsolete]
                public int Sum(int a, int b = 2)
                {
                    if (a > b) { return a; }
                    return a + b;
                }

                public int Length => Table
                    .Length;

                public int Value { get; set; } = 3;

                int Text(string s) => s.Length + "{ }".Length + $"{s}}}{{".Length + @"""}""".Length + '}';
            }
            """");

        Assert.Equal(
            [new Member("Sum", 10, 5, false), new Member("Length", 16, 2, false), new Member("Value", 19, 1, false), new Member("Text", 21, 1, false)],
            shape.Members);
        Assert.Equal(22, shape.Lines);
    }

    [Fact]
    public void Scanner_KeepsBracesInStringsAndCommentsOutOfTheCount()
    {
        var shape = SourceShape.Of(""""
            class C
            {
                // { an open brace in a comment
                /* } and a close one */
                string Raw() => """
                    { "}" }
                    """;

                string Nested(int x) => $"{(x > 0 ? $"{{{x}}}" : "}")}";

                void After() { }
            }
            """");

        Assert.Equal(["Raw", "Nested", "After"], shape.Members.Select(m => m.Name));
        Assert.Equal(3, shape.Members[0].Lines);
    }

    [Fact]
    public void Scanner_TakesAReasonFromTheLineAboveAMember_OrTheFilesFirstLine()
    {
        var member = SourceShape.Of("""
            class C
            {
                // Long because: one table, read top to bottom.
                /// <summary>Doc.</summary>
                [Obsolete]
                void Table() { }

                // A comment that gives no reason.
                void Other() { }
            }
            """);
        var file = SourceShape.Of("// Long because: generated.\nclass C { }\n");

        Assert.Equal([true, false], member.Members.Select(m => m.Exempt));
        Assert.False(member.Exempt);
        Assert.True(file.Exempt);
        Assert.False(SourceShape.Of("// Long because:\nclass C { }\n").Exempt);
    }
}
