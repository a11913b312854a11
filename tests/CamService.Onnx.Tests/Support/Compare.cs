namespace CamService.Onnx.Tests.Support;

/// <summary>Numeric comparisons with messages that say where two tensors differ.</summary>
public static class Compare
{
    /// <summary>max |actual − expected| / max |expected|.</summary>
    public static double RelativeMaxError(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0, scale = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs((double)actual[i] - expected[i]));
            scale = Math.Max(scale, Math.Abs((double)expected[i]));
        }
        return worst / Math.Max(scale, 1e-30);
    }

    public static void Close(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double relativeTolerance, string what)
    {
        var error = RelativeMaxError(actual, expected);
        Assert.True(error <= relativeTolerance, $"{what}: relative max error {error:E3} exceeds {relativeTolerance:E1}.");
    }

    /// <summary>Pearson correlation.</summary>
    public static double Correlation(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        double meanA = 0, meanB = 0;
        for (var i = 0; i < a.Length; i++)
        {
            meanA += a[i];
            meanB += b[i];
        }
        meanA /= a.Length;
        meanB /= b.Length;
        double cov = 0, varA = 0, varB = 0;
        for (var i = 0; i < a.Length; i++)
        {
            var (da, db) = (a[i] - meanA, b[i] - meanB);
            cov += da * db;
            varA += da * da;
            varB += db * db;
        }
        return cov / Math.Sqrt(varA * varB);
    }
}
