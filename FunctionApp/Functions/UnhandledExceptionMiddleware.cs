using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Logging;
using TokenFunctions.Telemetry;

namespace TokenFunctions.Functions;

/// <summary>
/// The last word on an exception no function handled: one log line with the exception, one count, and
/// for HTTP the contract's 500 instead of the host's empty one. A timer has no one to answer.
/// </summary>
/// <remarks>
/// Registered after <c>ConfigureFunctionsWebApplication</c>, this runs inside the ASP.NET Core
/// integration's own worker middleware, which has put the request's <see cref="HttpContext"/> in place
/// and, once the rest of the pipeline returns, executes the invocation result as the response, exactly
/// as it executes a function's own <see cref="IActionResult"/>. So the answer is set as the invocation
/// result rather than written here, and the exception is not rethrown: the worker would report the
/// invocation failed and the response would be the host's again.
/// </remarks>
public sealed partial class UnhandledExceptionMiddleware(TokenTelemetry telemetry, ILogger<UnhandledExceptionMiddleware> logger) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        var answer = await RunAsync(context.FunctionDefinition.Name, context.GetHttpContext(), () => next(context), context.CancellationToken);
        if (answer is not null)
        {
            context.GetInvocationResult().Value = answer;
        }
    }

    /// <summary>
    /// Runs one invocation of <paramref name="function"/>; on an unexpected exception, the response to
    /// give instead (null when the invocation is not HTTP's, or did not fail).
    /// </summary>
    public async Task<IActionResult?> RunAsync(string function, HttpContext? http, Func<Task> invocation, CancellationToken cancellationToken)
    {
        try
        {
            await invocation().ConfigureAwait(false);
            return null;
        }
        catch (Exception exception) when (!IsAbandoned(exception, http, cancellationToken))
        {
            var correlationId = http is null ? Activity.Current?.TraceId.ToHexString() ?? "none" : CorrelationId.For(http.Request);
            Failed(logger, function, correlationId, exception);
            telemetry.UnhandledException(function);
            return http is null ? null : OAuthJsonResult.Unexpected(correlationId);
        }
    }

    // A caller that went away, or an invocation the host cancelled, is not a fault of the broker and
    // no one is left to answer: the exception goes on to the host as it would without this middleware.
    private static bool IsAbandoned(Exception exception, HttpContext? http, CancellationToken cancellationToken) =>
        (exception is OperationCanceledException && cancellationToken.IsCancellationRequested) ||
        http?.RequestAborted.IsCancellationRequested == true;

    [LoggerMessage(EventId = 6000, Level = LogLevel.Error, Message = "Function {Function} failed with an unexpected exception; correlation id {CorrelationId}")]
    private static partial void Failed(ILogger logger, string function, string correlationId, Exception exception);
}
