using CamService.Inference.Explanations;

namespace CamService.Inference.Tests;

public sealed class ExplanationTargetTests
{
    [Theory]
    [InlineData(null, "top-1")]
    [InlineData("  ", "top-1")]
    [InlineData("281", "281")]
    [InlineData("281, 285", "281|285")]
    [InlineData("tabby,285", "tabby|285")]
    [InlineData("tiger cat", "tiger cat")]
    public void ParseList_ReadsIndicesAndLabels(string? text, string expected) =>
        Assert.Equal(expected, string.Join('|', ExplanationTarget.ParseList(text)));

    [Fact]
    public void Parse_TellsIndicesFromLabels()
    {
        Assert.Equal(new ExplanationTarget(7, null), ExplanationTarget.Parse("7"));
        Assert.Equal(new ExplanationTarget(null, "7a"), ExplanationTarget.Parse("7a"));
    }
}
