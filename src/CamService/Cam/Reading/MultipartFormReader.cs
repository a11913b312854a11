using System.Buffers;
using System.Text;
using CamService.Problems;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace CamService.Cam.Reading;

/// <summary>
/// The image and fields of a multipart body, read part by part: a field is refused once it passes
/// Cam:MaxFieldLength, before it is held whole (ASP.NET Core's form reader reads a value whole, whatever
/// its value length limit), and the image is kept in memory (the form reader would write it to a temporary file).
/// </summary>
sealed class MultipartFormReader(HttpRequest request, long limit, int fieldLimit)
{
    /// <summary>Most parts (the image and fields) of a multipart body: four times the fields there are.</summary>
    const int MaxParts = 64;

    readonly Dictionary<string, string?> fields = new(StringComparer.OrdinalIgnoreCase);
    MemoryStream? image;
    long bytes;

    public static Task<CamForm> ReadAsync(HttpRequest request, long limit, int fieldLimit, CancellationToken cancellationToken) =>
        new MultipartFormReader(request, limit, fieldLimit).ReadAsync(cancellationToken);

    async Task<CamForm> ReadAsync(CancellationToken cancellationToken)
    {
        var boundary = MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType) ? HeaderUtilities.RemoveQuotes(contentType.Boundary).Value : null;
        if (string.IsNullOrWhiteSpace(boundary) || boundary.Length > new FormOptions().MultipartBoundaryLengthLimit)
        {
            throw new RequestException(StatusCodes.Status400BadRequest, "Malformed request", "The multipart body cannot be read: its Content-Type has no valid boundary.");
        }
        var reader = new MultipartReader(boundary, request.Body) { BodyLengthLimit = limit };
        try
        {
            var parts = 0;
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                if (++parts > MaxParts)
                {
                    throw new RequestException(StatusCodes.Status413PayloadTooLarge, "Request too large", $"The form has more than {MaxParts} parts.");
                }
                await ReadPartAsync(section, cancellationToken);
                if (bytes > limit)
                {
                    throw FieldLimits.BodyTooLarge(limit);
                }
            }
        }
        catch (InvalidDataException e) when (e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase))
        {
            throw FieldLimits.BodyTooLarge(limit);
        }
        // A body that ends inside a part (IOException) or a boundary parameter the reader refuses (InvalidOperationException): fuzz
        // campaign. Not Kestrel's own refusals (a body too slow or too large), which are IOExceptions too and keep their status.
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException or IOException and not BadHttpRequestException)
        {
            throw new RequestException(StatusCodes.Status400BadRequest, "Malformed request", "The multipart/form-data body cannot be read.", inner: e);
        }
        if (image is null)
        {
            throw RequestException.BadField("image", "The 'image' file is required.");
        }
        return new CamForm(image.GetBuffer().AsMemory(0, (int)image.Length), fields);
    }

    async Task ReadPartAsync(MultipartSection section, CancellationToken cancellationToken)
    {
        // Every part of a form names its field, as ASP.NET Core's form reader requires.
        if (section.GetContentDispositionHeader() is not { } disposition || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
        {
            throw new RequestException(StatusCodes.Status400BadRequest, "Malformed request", "The multipart/form-data body cannot be read.");
        }
        var name = HeaderUtilities.RemoveQuotes(disposition.Name).ToString();
        if (disposition.IsFileDisposition())
        {
            if (!name.Equals("image", StringComparison.OrdinalIgnoreCase))
            {
                throw RequestException.BadField(name, $"Unknown file field '{name}'; the photo goes in 'image'.");
            }
            if (image is not null)
            {
                throw RequestException.BadField("image", "Send exactly one 'image' file per request.");
            }
            // As large as the body says it is (within the limit): the image never grows by copying itself.
            image = new MemoryStream((int)Math.Min(request.ContentLength ?? 0, limit));
            await section.Body.CopyToAsync(image, cancellationToken);
            bytes += image.Length;
        }
        else
        {
            var value = await ReadFieldAsync(section.Body, name, cancellationToken);
            bytes += value.Length;
            // A field sent twice is both values, comma-separated, as ASP.NET Core's form reader joins them.
            fields[name] = fields.TryGetValue(name, out var earlier) ? $"{earlier},{value}" : value;
        }
    }

    /// <summary>A text part as UTF-8, refused once it passes Cam:MaxFieldLength bytes.</summary>
    async Task<string> ReadFieldAsync(Stream body, string name, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(fieldLimit + 1);
        try
        {
            var length = 0;
            int read;
            while ((read = await body.ReadAsync(buffer.AsMemory(length, fieldLimit + 1 - length), cancellationToken)) > 0)
            {
                length += read;
                if (length > fieldLimit)
                {
                    throw FieldLimits.TooLong(name, fieldLimit);
                }
            }
            return Encoding.UTF8.GetString(buffer, 0, length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
