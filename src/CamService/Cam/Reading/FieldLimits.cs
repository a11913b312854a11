using CamService.Problems;

namespace CamService.Cam.Reading;

/// <summary>
/// The limits a body's fields are read within (Cam:MaxFieldLength per value, Cam:MaxMapsPerRequest items per list),
/// and the problems that name each limit, for both readers and the check of the form as read.
/// </summary>
readonly record struct FieldLimits(int Length, int Items)
{
    public static FieldLimits Of(CamOptions options) => new(options.MaxFieldLength, options.MaxMapsPerRequest);

    public static RequestException TooLong(string name, int limit) =>
        RequestException.BadField(name, $"'{name}' is longer than {limit:N0} bytes (Cam:MaxFieldLength).");

    public static RequestException TooManyItems(string name, int limit) => RequestException.BadField(name,
        $"'{name}' lists more than {limit} items; a request draws at most {limit} maps (Cam:MaxMapsPerRequest).");

    public static RequestException BodyTooLarge(long limit) => new(StatusCodes.Status413PayloadTooLarge, "Request too large",
        $"The request body exceeds the limit of {limit:N0} bytes (Cam:MaxBodyBytes).");

    /// <summary>
    /// Every field within <see cref="Length"/>, and every list within <see cref="Items"/> items, before any is split:
    /// a list longer than that could only be refused later, after a string per item.
    /// </summary>
    public void Check(CamForm form)
    {
        foreach (var (name, value) in form.Fields)
        {
            if (value is null)
            {
                continue;
            }
            // The readers refuse a longer value as they read it; a field sent several times is checked here, joined.
            if (value.Length > Length)
            {
                throw RequestException.BadField(name, $"'{name}' is {value.Length:N0} characters in all; the limit is {Length:N0} (Cam:MaxFieldLength).");
            }
            if (CamFields.IsList(name) && value.AsSpan().Count(',') >= Items)
            {
                throw TooManyItems(name, Items);
            }
        }
    }
}
