namespace TokenFunctions.Tests.Infrastructure;

/// <summary>A throwaway copy of infra/ a test may edit.</summary>
internal sealed class InfraCopy : IDisposable
{
    private InfraCopy(string path) => Path = path;

    public string Path { get; }

    public static InfraCopy Of(string infraDirectory)
    {
        var target = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "infra-" + Guid.NewGuid().ToString("N"));
        foreach (var file in Directory.EnumerateFiles(infraDirectory, "*", SearchOption.AllDirectories))
        {
            var destination = System.IO.Path.Combine(target, System.IO.Path.GetRelativePath(infraDirectory, file));
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }

        // The copy is for experiments with the settings: an edit may leave a parameter unused, which
        // the repository's linter rules (infra/bicepconfig.json) rightly refuse; that is not what is tested.
        File.WriteAllText(System.IO.Path.Combine(target, "bicepconfig.json"), """{ "analyzers": { "core": { "enabled": false } } }""");
        return new InfraCopy(target);
    }

    public void EditMain(Func<string, string> edit)
    {
        var main = System.IO.Path.Combine(Path, "main.bicep");
        var before = File.ReadAllText(main);
        var after = edit(before);
        if (after == before)
        {
            throw new InvalidOperationException("The edit changed nothing: main.bicep no longer has the line the test edits.");
        }

        File.WriteAllText(main, after);
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
