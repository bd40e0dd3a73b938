namespace TokenFunctions.Tokens;

/// <summary>Why a token could not be handed out; each kind has one HTTP status in the contract.</summary>
public enum TokenErrorKind
{
    /// <summary>The caller's request is malformed (400).</summary>
    InvalidRequest,

    /// <summary>The caller's request body is over the size limit (413).</summary>
    RequestTooLarge,

    /// <summary>Entra refused the request for a reason the caller can act on: scope, grant, interaction (400).</summary>
    Rejected,

    /// <summary>The caller is not authenticated (401).</summary>
    Unauthenticated,

    /// <summary>The caller may not use this client or scope (403).</summary>
    Forbidden,

    /// <summary>No client of that name is configured (404).</summary>
    UnknownClient,

    /// <summary>Entra throttles this request (429).</summary>
    Throttled,

    /// <summary>Entra failed, or refused the broker's own credential (502).</summary>
    UpstreamFailure,

    /// <summary>A dependency such as the credential store is unavailable (503).</summary>
    DependencyUnavailable,

    /// <summary>The request's time budget ran out (504).</summary>
    Timeout,
}
