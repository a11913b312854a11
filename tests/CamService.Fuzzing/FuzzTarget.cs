namespace CamService.Fuzzing;

/// <summary>What one input did: an accepted outcome's label ("decoded", "422", "200", …), or a finding that says what went wrong.</summary>
public readonly record struct FuzzOutcome(string Label, string? Finding = null)
{
    public static FuzzOutcome Found(string what) => new("finding", what);
}

/// <summary>
/// Something the service exposes to uploads, and the rule every input must keep: <see cref="Input"/> makes input
/// number i from its own random source, <see cref="Run"/> feeds it and says what happened.
/// </summary>
public abstract class FuzzTarget
{
    public abstract string Name { get; }

    /// <summary>The input its random source makes: a mutated seed.</summary>
    public abstract byte[] Input(Random random, List<string>? log = null);

    public abstract FuzzOutcome Run(byte[] input);

    /// <summary>Empties the pools of pixel buffers the target's decoding keeps for its next input, before memory is measured.</summary>
    public virtual void ReleaseRetainedMemory()
    {
    }

    /// <summary>Input <paramref name="index"/> of a campaign with <paramref name="seed"/>: the same bytes on every machine and run.</summary>
    public byte[] Input(int seed, long index, List<string>? log = null) => Input(Mutator.For(seed, Name, index), log);
}
