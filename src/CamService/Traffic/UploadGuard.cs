using System.Globalization;
using CamService.Cam;
using Microsoft.Extensions.Options;

namespace CamService.Traffic;

/// <summary>
/// What a request under admission control meets when it arrives, before any of its body is read: the shutdown
/// gate; a refusal when the explanations' slots and queue would refuse it anyway (<see cref="ExplainAdmission.RefusalOnArrival"/>),
/// paced beyond a rate (<see cref="RefusalPacer"/>) and decided again at its turn;
/// a reservation of its body in the <see cref="UploadBudget"/> (503 when it does not fit); and a body
/// that counts against that reservation and must end within Cam:Upload:TimeoutSeconds (408). It also writes
/// every <see cref="RefusedException"/> thrown further in — by the body, or by <see cref="ExplainAdmission"/> —
/// and Kestrel's own 408 for a body below the minimum data rate, as the traffic rules' problems.
/// </summary>
public sealed class UploadGuard(UploadBudget budget, ShutdownGate gate, ExplainAdmission admission, RefusalPacer pacer, IOptions<UploadOptions> upload,
    IOptions<CamOptions> cam)
{
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (gate.IsClosed)
        {
            await Refusals.WriteAsync(context, gate.Refusal());
            return;
        }
        if (await RefusalOnArrivalAsync(context) is { } busy)
        {
            await Refusals.WriteAsync(context, busy);
            return;
        }
        // The body as declared, up to the largest the service accepts: a longer one is refused (413) unread.
        var declared = Math.Min(context.Request.ContentLength ?? 0, cam.Value.MaxBodyBytes);
        using var reservation = budget.TryReserve(declared);
        if (reservation is null)
        {
            await Refusals.WriteAsync(context, Full(cam.Value.RetryAfterSeconds));
            return;
        }

        var body = context.Request.Body;
        await using var counted = new UploadStream(body, reservation, upload.Value.TimeoutSeconds, () => Full(cam.Value.RetryAfterSeconds));
        context.Request.Body = counted;
        try
        {
            await next(context);
        }
        catch (RefusedException refusal) when (!context.Response.HasStarted)
        {
            context.Request.Body = body;
            if (refusal.Reason == Refusal.Busy && await pacer.AwaitTurnAsync(context.RequestAborted))
            {
                pacer.Decided(admitted: false);
            }
            await Refusals.WriteAsync(context, refusal);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status408RequestTimeout && !context.Response.HasStarted)
        {
            await Refusals.WriteUploadTooSlowAsync(context,
                $"The request body arrived slower than {upload.Value.MinBytesPerSecond.ToString(CultureInfo.InvariantCulture)} bytes/s (Cam:Upload:MinBytesPerSecond).");
        }
        finally
        {
            context.Request.Body = body;
        }
    }

    /// <summary>
    /// The refusal a request meets on arrival, if any, decided again after its turn where refusals are paced
    /// (<see cref="RefusalPacer"/>): a slot or queue place may have opened meanwhile.
    /// </summary>
    async Task<RefusedException?> RefusalOnArrivalAsync(HttpContext context)
    {
        if (admission.RefusalOnArrival() is not { } busy)
        {
            return null;
        }
        if (!await pacer.AwaitTurnAsync(context.RequestAborted))
        {
            return busy;
        }
        var again = admission.RefusalOnArrival();
        pacer.Decided(admitted: again is null);
        return again;
    }

    static RefusedException Full(int retryAfterSeconds) => new(Refusal.UploadsFull, "Busy",
        $"The request bodies held now fill Cam:Upload:MaxBytesInFlight, and this one does not fit beside them. Retry after {retryAfterSeconds} s.",
        retryAfterSeconds);
}
