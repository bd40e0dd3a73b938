using System.Diagnostics.CodeAnalysis;

namespace TokenFunctions.Tokens;

/// <summary>Either a token or an OAuth error: every outcome a caller can cause is a value, not an exception.</summary>
public readonly record struct TokenResult
{
    private TokenResult(AccessToken? token, TokenError? error)
    {
        Token = token;
        Error = error;
    }

    public AccessToken? Token { get; }

    public TokenError? Error { get; }

    [MemberNotNullWhen(true, nameof(Token))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool Succeeded => Token is not null;

    public static implicit operator TokenResult(AccessToken token) => new(token, null);

    public static implicit operator TokenResult(TokenError error) => new(null, error);
}
