using CamService.Imaging;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace CamService.Problems;

/// <summary>
/// Turns the exceptions that mean "bad input" into application/problem+json 4xx answers in one
/// place; anything else is a 500 problem whose details stay in the log. An answer says what is wrong
/// in fixed words; how it went wrong (a parser's or decoder's own exception) goes to the log only,
/// under the trace id the answer carries.
/// </summary>
public sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var problem = exception switch
        {
            RequestException e => Problem(e.Status, e.Title, e.Message, e.Errors, e.Extensions),
            ImageTooLargeException e => Problem(StatusCodes.Status413PayloadTooLarge, "Image too large", e.Message),
            UnsupportedImageException e => Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported image", e.Message),
            CorruptImageException e => Problem(StatusCodes.Status422UnprocessableEntity, "Corrupt image", e.Message),
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
                Problem(StatusCodes.Status413PayloadTooLarge, "Request too large", "The request body is larger than the service accepts."),
            BadHttpRequestException e => Problem(e.StatusCode, "Bad request", "The request body cannot be read."),
            OperationCanceledException when context.RequestAborted.IsCancellationRequested =>
                Problem(499, "Client closed request", "The request was cancelled."),
            _ => null,
        };
        if (problem is null)
        {
            logger.LogError(exception, "Unhandled error on {Method} {Path} ({TraceId})", context.Request.Method, context.Request.Path, context.TraceIdentifier);
            problem = Problem(StatusCodes.Status500InternalServerError, "Internal error",
                "The service failed while answering this request. The error is logged under this problem's traceId.");
        }
        else if (problem.Status >= 500 || problem.Status == 499)
        {
            logger.LogWarning(exception.InnerException, "{Status} on {Method} {Path} ({TraceId}): {Detail}",
                problem.Status, context.Request.Method, context.Request.Path, context.TraceIdentifier, problem.Detail);
        }
        else
        {
            // The cause a client is not told (a decoder's or parser's exception) is the inner exception, when there is one.
            logger.LogInformation(exception is BadHttpRequestException ? exception : exception.InnerException, "{Status} on {Method} {Path} ({TraceId}): {Detail}",
                problem.Status, context.Request.Method, context.Request.Path, context.TraceIdentifier, problem.Detail);
        }
        context.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }

    static ProblemDetails Problem(int status, string title, string detail, IDictionary<string, string[]>? errors = null,
        IReadOnlyDictionary<string, object?>? extensions = null)
    {
        var problem = errors is null ? new ProblemDetails() : new ValidationProblemDetails(errors);
        problem.Status = status;
        problem.Title = title;
        problem.Detail = detail;
        foreach (var (name, value) in extensions ?? new Dictionary<string, object?>())
        {
            problem.Extensions[name] = value;
        }
        return problem;
    }
}
