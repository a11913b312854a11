using System.Buffers;
using System.Numerics.Tensors;

namespace CamService.Inference.Methods;

/// <summary>
/// Eigen-CAM (arXiv 2008.00299): the activations' first principal component, as pytorch-grad-cam computes
/// it — the positions' channel vectors X [h·w, K], centred per channel, projected onto X's first right
/// singular vector v — then ReLU. It ignores the target: one map per image, whatever the class.
/// </summary>
/// <remarks>
/// <para>
/// No LAPACK: the projection X·v equals σ·u, with u the leading eigenvector of the Gram matrix X·Xᵀ
/// ([h·w, h·w], 49×49 at 7×7) and σ² its eigenvalue, which power iteration by repeated squaring finds from a
/// deterministic start.
/// </para>
/// <para>
/// Sign convention: a principal component's sign is arbitrary (numpy's SVD returns either). Ours is the one
/// whose projection correlates non-negatively with the channel sum Σ_k A_k — equivalently, whose channel
/// loadings v sum to ≥ 0 — so the map lights where the layer is active overall, the same on every platform.
/// </para>
/// </remarks>
public sealed class EigenCam : CamMethod
{
    /// <summary>The iteration stops once a step moves the unit eigenvector less than this.</summary>
    const double Tolerance = 1e-9;

    /// <summary>
    /// G^(2^30): enough for any gap that matters. When the two largest eigenvalues are nearly tied, the
    /// "first" component is not well defined anyway, and any vector of their plane is as principal as another.
    /// </summary>
    const int MaxSquarings = 30;

    public override string Name => "eigencam";

    public override string Description =>
        "Eigen-CAM (Muhammad & Yeasin, arXiv 2008.00299): the activations' first principal component, signed to agree with the channel sum; class-agnostic, no gradients.";

    public override bool UsesGradients => false;

    public override void Compute(in CamContext input, Span<float> map)
    {
        var (positions, channels) = (input.Positions, input.Channels);
        // The Gram matrix of the smaller side: X·Xᵀ over the positions (49×49 for 1280 channels at 7×7), or
        // Xᵀ·X over the channels where there are fewer of them (4 channels at 64×64). Both give the same
        // projection X·v, and squaring a 4096×4096 matrix would take minutes.
        var size = Math.Min(positions, channels);
        var centredRented = ArrayPool<float>.Shared.Rent(2 * positions * channels);
        var gramRented = ArrayPool<double>.Shared.Rent(size * size + 2 * size + 2 * positions);
        try
        {
            var centred = centredRented.AsSpan(0, positions * channels);
            var byChannel = centredRented.AsSpan(positions * channels, positions * channels);
            var gram = gramRented.AsSpan(0, size * size);
            var vector = gramRented.AsSpan(size * size, size);
            var next = gramRented.AsSpan(size * size + size, size);
            var projection = gramRented.AsSpan(size * size + 2 * size, positions);
            var channelSum = gramRented.AsSpan(size * size + 2 * size + positions, positions);

            Centre(input, centred, byChannel);
            var (rows, length) = positions <= channels ? (positions, channels) : (channels, positions);
            Gram(positions <= channels ? centred : byChannel, rows, length, gram);

            var eigenvalue = LeadingEigenvector(gram, size, vector, next);
            if (eigenvalue <= 0)
            {
                // Activations constant over the positions: no variance, no component.
                map.Clear();
                return;
            }
            Project(centred, positions, channels, eigenvalue, vector, projection, channelSum);
            var sign = TensorPrimitives.Dot((ReadOnlySpan<double>)projection, channelSum) < 0 ? -1 : 1;
            for (var p = 0; p < positions; p++)
            {
                map[p] = (float)Math.Max(sign * projection[p], 0);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(centredRented);
            ArrayPool<double>.Shared.Return(gramRented);
        }
    }

    /// <summary>The Gram matrix of <paramref name="matrix"/>'s <paramref name="rows"/> rows: each entry a dot of two rows.</summary>
    static void Gram(ReadOnlySpan<float> matrix, int rows, int length, Span<double> gram)
    {
        for (var a = 0; a < rows; a++)
        {
            var row = matrix.Slice(a * length, length);
            for (var b = a; b < rows; b++)
            {
                gram[a * rows + b] = gram[b * rows + a] = TensorPrimitives.Dot(row, matrix.Slice(b * length, length));
            }
        }
    }

    /// <summary>Each position's projection X·v on the component, and its channel sum (which the component's sign follows).</summary>
    static void Project(ReadOnlySpan<float> centred, int positions, int channels, double eigenvalue, ReadOnlySpan<double> vector,
        Span<double> projection, Span<double> channelSum)
    {
        for (var p = 0; p < positions; p++)
        {
            var row = centred.Slice(p * channels, channels);
            channelSum[p] = TensorPrimitives.Sum(row);
            if (positions <= channels)
            {
                // X·v = σ·u, u the positions' eigenvector.
                projection[p] = Math.Sqrt(eigenvalue) * vector[p];
            }
            else
            {
                var sum = 0.0;
                for (var k = 0; k < channels; k++)
                {
                    sum += row[k] * vector[k];
                }
                projection[p] = sum;
            }
        }
    }

    /// <summary>
    /// X [h·w, K]: each position's channel vector less the channel's mean over the positions; and the same
    /// channel by channel, Xᵀ [K, h·w].
    /// </summary>
    static void Centre(in CamContext input, Span<float> centred, Span<float> byChannel)
    {
        var (positions, channels) = (input.Positions, input.Channels);
        for (var k = 0; k < input.Channels; k++)
        {
            var activations = input.ActivationChannel(k);
            var mean = TensorPrimitives.Sum(activations) / positions;
            var channel = byChannel.Slice(k * positions, positions);
            TensorPrimitives.Subtract(activations, mean, channel);
            for (var p = 0; p < positions; p++)
            {
                centred[p * channels + k] = channel[p];
            }
        }
    }

    /// <summary>
    /// Leaves the unit leading eigenvector of the symmetric positive semi-definite <paramref name="gram"/> in
    /// <paramref name="vector"/> and returns its eigenvalue (0 for a zero matrix). Power iteration by repeated
    /// squaring: G, G², G⁴, … each scaled to unit norm and applied to the start vector, so the error shrinks
    /// as (λ₂/λ₁)^(2^s) — a dozen squarings of a 49×49 matrix even where the two largest eigenvalues are 1 %
    /// apart, where plain iteration took thousands of steps.
    /// </summary>
    static double LeadingEigenvector(ReadOnlySpan<double> gram, int size, Span<double> vector, Span<double> next)
    {
        // Start from the column of the position farthest from the mean: deterministic, and inside the column
        // space (unlike a constant vector, which centring makes orthogonal to every component).
        var start = 0;
        for (var p = 1; p < size; p++)
        {
            if (gram[p * size + p] > gram[start * size + start])
            {
                start = p;
            }
        }
        if (gram[start * size + start] <= 0)
        {
            return 0;
        }
        var startVector = gram.Slice(start * size, size).ToArray();
        TensorPrimitives.Divide(startVector, TensorPrimitives.Norm((ReadOnlySpan<double>)startVector), startVector);
        startVector.CopyTo(vector);

        var power = gram.ToArray();
        var squared = new double[size * size];
        for (var squaring = 0; squaring < MaxSquarings; squaring++)
        {
            // G^(2^s) is symmetric: its rows are its columns, and each product entry is a dot of two rows.
            var scale = TensorPrimitives.Norm((ReadOnlySpan<double>)power);
            TensorPrimitives.Divide(power, scale, power);
            for (var p = 0; p < size; p++)
            {
                next[p] = TensorPrimitives.Dot(power.AsSpan(p * size, size), startVector);
            }
            var norm = TensorPrimitives.Norm((ReadOnlySpan<double>)next);
            if (norm == 0)
            {
                break;
            }
            TensorPrimitives.Divide(next, norm, next);
            // A positive semi-definite power never flips the vector's sign: the step's length measures convergence.
            var moved = TensorPrimitives.Distance((ReadOnlySpan<double>)next, vector);
            next.CopyTo(vector);
            if (moved < Tolerance)
            {
                break;
            }
            Square(power, size, squared);
            (power, squared) = (squared, power);
        }

        // The eigenvalue from the Rayleigh quotient on the matrix itself.
        for (var p = 0; p < size; p++)
        {
            next[p] = TensorPrimitives.Dot(gram.Slice(p * size, size), vector);
        }
        return TensorPrimitives.Dot((ReadOnlySpan<double>)next, vector);
    }

    /// <summary>The square of a symmetric <paramref name="size"/>² matrix: its rows are its columns, so each entry is a dot of two rows.</summary>
    static void Square(double[] power, int size, double[] squared)
    {
        for (var p = 0; p < size; p++)
        {
            for (var q = p; q < size; q++)
            {
                squared[p * size + q] = squared[q * size + p] = TensorPrimitives.Dot(power.AsSpan(p * size, size), power.AsSpan(q * size, size));
            }
        }
    }
}
