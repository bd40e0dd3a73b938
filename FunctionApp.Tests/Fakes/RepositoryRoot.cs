namespace TokenFunctions.Tests.Fakes;

/// <summary>The checkout the tests run from, found by its solution file.</summary>
public static class RepositoryRoot
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "TokenFunctions.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"TokenFunctions.sln was not found above {AppContext.BaseDirectory}.");
    });

    public static string FullPath => Root.Value;
}
