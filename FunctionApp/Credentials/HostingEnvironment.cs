using Microsoft.Extensions.Configuration;

namespace TokenFunctions.Credentials;

/// <summary>Whether the app runs as a developer's local instance (<c>func start</c> sets it so).</summary>
public static class HostingEnvironment
{
    public static bool IsDevelopment(IConfiguration configuration) =>
        string.Equals(
            configuration["AZURE_FUNCTIONS_ENVIRONMENT"] ?? configuration["DOTNET_ENVIRONMENT"],
            "Development",
            StringComparison.OrdinalIgnoreCase);
}
