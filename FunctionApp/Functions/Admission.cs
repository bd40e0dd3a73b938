using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Mvc;
using TokenFunctions.Tokens;

namespace TokenFunctions.Functions;

/// <summary>
/// What an endpoint may go on with: the client and the parsed request it admitted, or the contract's
/// error to answer with instead. Either way, the correlation id an error would carry.
/// </summary>
public sealed record Admission(ConfidentialClient? Client, TokenRequest? Request, IActionResult? Refusal, string CorrelationId)
{
    [MemberNotNullWhen(true, nameof(Refusal))]
    [MemberNotNullWhen(false, nameof(Client), nameof(Request))]
    public bool Refused => Refusal is not null;

    /// <summary>The core's answer as the contract's response.</summary>
    public IActionResult Answer(TokenResult result, TimeProvider time) =>
        result.Succeeded ? OAuthJsonResult.Token(result.Token, time.GetUtcNow()) : OAuthJsonResult.Error(result.Error, CorrelationId);

    public static Admission Admit(ConfidentialClient client, TokenRequest request, string correlationId) => new(client, request, null, correlationId);

    public static Admission Refuse(TokenError error, string correlationId) => new(null, null, OAuthJsonResult.Error(error, correlationId), correlationId);
}
