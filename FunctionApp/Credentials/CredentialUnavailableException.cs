namespace TokenFunctions.Credentials;

/// <summary>
/// The broker's own credential cannot be had. The message names the client and where the
/// credential was looked for, never its content, so it is safe to log and to return.
/// </summary>
public sealed class CredentialUnavailableException : Exception
{
    public CredentialUnavailableException(string message)
        : base(message)
    {
    }

    public CredentialUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
