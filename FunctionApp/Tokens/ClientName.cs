namespace TokenFunctions.Tokens;

/// <summary>Client names appear in routes and settings, so they are kept to a URL-safe alphabet.</summary>
public static class ClientName
{
    public const int MaxLength = 64;

    public static bool IsValid(string name) =>
        name.Length is > 0 and <= MaxLength && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
