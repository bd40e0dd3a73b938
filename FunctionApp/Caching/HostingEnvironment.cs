using Microsoft.Extensions.Configuration;

namespace TokenFunctions.Caching;

/// <summary>Whether the app runs as a developer's local instance (<c>func start</c> sets it so).</summary>
internal static class HostingEnvironment
{
    public static bool IsDevelopment(IConfiguration configuration) =>
        string.Equals(
            configuration["AZURE_FUNCTIONS_ENVIRONMENT"] ?? configuration["DOTNET_ENVIRONMENT"],
            "Development",
            StringComparison.OrdinalIgnoreCase);
}
