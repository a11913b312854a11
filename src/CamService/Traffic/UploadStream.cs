using System.Globalization;

namespace CamService.Traffic;

/// <summary>
/// A request body as the endpoint reads it, kept within the upload's limits: every byte read is counted
/// against the request's <see cref="UploadBudget.Reservation"/> (a chunked body grows it as it arrives), and
/// the body must end within the read deadline. Past either, a read throws a <see cref="RefusedException"/>,
/// never an <see cref="OperationCanceledException"/>, so the request's own deadline (a 504) is not mistaken for it.
/// </summary>
public sealed class UploadStream : Stream
{
    readonly Stream body;
    readonly UploadBudget.Reservation reservation;
    readonly CancellationTokenSource deadline;
    readonly double timeoutSeconds;
    readonly Func<RefusedException> full;
    long read;
    bool ended;

    /// <param name="body">The request's own body.</param>
    /// <param name="reservation">The request's share of the budget, grown as needed.</param>
    /// <param name="timeoutSeconds">The read deadline, from now.</param>
    /// <param name="full">The refusal when the budget cannot grow.</param>
    public UploadStream(Stream body, UploadBudget.Reservation reservation, double timeoutSeconds, Func<RefusedException> full)
    {
        this.body = body;
        this.reservation = reservation;
        this.timeoutSeconds = timeoutSeconds;
        this.full = full;
        deadline = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (ended)
        {
            return await body.ReadAsync(buffer, cancellationToken);
        }
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        int count;
        try
        {
            count = await body.ReadAsync(buffer, linked.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw TooSlow();
        }
        return Counted(count);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Synchronous reads, where the server allows them, are counted too; the deadline is checked between them.</summary>
    public override int Read(byte[] buffer, int offset, int count)
    {
        if (!ended && deadline.IsCancellationRequested)
        {
            throw TooSlow();
        }
        return Counted(body.Read(buffer, offset, count));
    }

    int Counted(int count)
    {
        if (count == 0)
        {
            ended = true;
            return 0;
        }
        read += count;
        if (!reservation.TryGrowTo(read))
        {
            throw full();
        }
        return count;
    }

    RefusedException TooSlow() => new(Refusal.UploadTooSlow, "Upload too slow",
        $"The request body did not arrive within {timeoutSeconds.ToString(CultureInfo.InvariantCulture)} s (Cam:Upload:TimeoutSeconds).", 0);

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            deadline.Dispose();
        }
        base.Dispose(disposing);
    }
}
