using Microsoft.Extensions.Options;

namespace CamService.Traffic;

/// <summary>
/// The bytes of request bodies the service holds at once, within Cam:Upload:MaxBytesInFlight. A request
/// reserves its body when it arrives and gives it back when its answer is sent: from the first byte read
/// until then, the body (and the image made of it) is in memory, whether it is still arriving, waiting
/// for a slot or being explained.
/// </summary>
public sealed class UploadBudget(IOptions<UploadOptions> options)
{
    long reserved;
    int requests;

    /// <summary>Bytes reserved by the requests now holding a reservation.</summary>
    public long ReservedBytes => Interlocked.Read(ref reserved);

    /// <summary>Requests holding a reservation: uploading, waiting for a slot or being explained.</summary>
    public int Requests => Volatile.Read(ref requests);

    /// <summary>A reservation of <paramref name="bytes"/>, or null when they do not fit beside those reserved.</summary>
    public Reservation? TryReserve(long bytes)
    {
        if (!TryTake(bytes))
        {
            return null;
        }
        Interlocked.Increment(ref requests);
        return new Reservation(this, bytes);
    }

    bool TryTake(long bytes)
    {
        var limit = options.Value.MaxBytesInFlight;
        var current = Interlocked.Read(ref reserved);
        while (true)
        {
            if (bytes > limit - current)
            {
                return false;
            }
            var seen = Interlocked.CompareExchange(ref reserved, current + bytes, current);
            if (seen == current)
            {
                return true;
            }
            current = seen;
        }
    }

    /// <summary>One request's share of the budget; disposing it gives every byte back, once.</summary>
    public sealed class Reservation : IDisposable
    {
        readonly UploadBudget budget;
        long bytes;
        bool released;

        internal Reservation(UploadBudget budget, long bytes)
        {
            this.budget = budget;
            this.bytes = bytes;
        }

        /// <summary>Bytes reserved by this request.</summary>
        public long Bytes => bytes;

        /// <summary>Makes the reservation at least <paramref name="total"/> bytes; false when the rest does not fit.</summary>
        public bool TryGrowTo(long total)
        {
            if (total <= bytes)
            {
                return true;
            }
            if (!budget.TryTake(total - bytes))
            {
                return false;
            }
            bytes = total;
            return true;
        }

        public void Dispose()
        {
            if (released)
            {
                return;
            }
            released = true;
            Interlocked.Add(ref budget.reserved, -bytes);
            Interlocked.Decrement(ref budget.requests);
        }
    }
}
