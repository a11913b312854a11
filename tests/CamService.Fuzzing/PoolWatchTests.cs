using System.Buffers;

namespace CamService.Fuzzing;

/// <summary>
/// The campaign's view of what the runtime's shared array pools keep, and its emptying of them before memory is measured.
/// The arrays are of a length nothing else in this process rents (8 MB of doubles), so no other test can take them.
/// </summary>
public sealed class PoolWatchTests
{
    const int Length = 1 << 20;

    [Fact]
    public void AReturnedLargeArray_IsHeld_UntilEmptyTakesItOut()
    {
        using var watch = new PoolWatch();
        var array = ArrayPool<double>.Shared.Rent(Length);
        ArrayPool<double>.Shared.Return(array);

        Assert.Contains("double: 1024K×1", watch.Describe(), StringComparison.Ordinal);
        Assert.True(watch.HeldBytes() >= (long)Length * sizeof(double));

        watch.Empty();

        Assert.DoesNotContain("double: 1024K", watch.Describe(), StringComparison.Ordinal);
        // The pool no longer has it: the next rent of that size is a new array.
        Assert.NotSame(array, ArrayPool<double>.Shared.Rent(Length));
    }

    [Fact]
    public void ASmallArray_IsNotCounted()
    {
        using var watch = new PoolWatch();
        var array = ArrayPool<double>.Shared.Rent(PoolWatch.LargeObjectBytes / sizeof(double) / 4);
        ArrayPool<double>.Shared.Return(array);

        Assert.DoesNotContain("double: 4K", watch.Describe(), StringComparison.Ordinal);
    }
}
