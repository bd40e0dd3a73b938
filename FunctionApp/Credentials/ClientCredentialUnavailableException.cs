namespace TokenFunctions.Credentials;

/// <summary>
/// The broker's own credential cannot be had. The message names the client and where the
/// credential was looked for, never its content, so it is safe to log and to return.
/// <see cref="FailureClass"/> is a short, fixed word for health and metrics.
/// </summary>
public sealed class ClientCredentialUnavailableException : Exception
{
    public ClientCredentialUnavailableException(string failureClass, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        FailureClass = failureClass;
    }

    public string FailureClass { get; }
}
