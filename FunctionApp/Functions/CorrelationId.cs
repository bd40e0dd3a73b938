using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace TokenFunctions.Functions;

/// <summary>
/// The id an error carries when Entra sent none: the trace id of the request, so that an
/// operator can find the request's logs from the id a caller reports.
/// </summary>
public static class CorrelationId
{
    public static string For(HttpRequest request) =>
        Activity.Current?.TraceId.ToHexString() ?? request.HttpContext.TraceIdentifier switch
        {
            { Length: > 0 } id => id,
            _ => Guid.NewGuid().ToString(),
        };
}
