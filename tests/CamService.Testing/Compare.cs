using CamService.Inference.Verification;

namespace CamService.Testing;

/// <summary>Numeric comparisons with messages that say where two tensors differ.</summary>
public static class Compare
{
    /// <summary>max |actual − expected| / max |expected|, as <see cref="TorchParity"/> measures it.</summary>
    public static double RelativeMaxError(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        return TorchParity.RelativeMaxError(actual, expected);
    }

    public static void Close(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double relativeTolerance, string what)
    {
        var error = RelativeMaxError(actual, expected);
        Assert.True(error <= relativeTolerance, $"{what}: relative max error {error:E3} exceeds {relativeTolerance:E1}.");
    }

    /// <summary>Pearson correlation, as <see cref="TorchParity"/> measures it.</summary>
    public static double Correlation(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        return TorchParity.Correlation(a, b);
    }
}
