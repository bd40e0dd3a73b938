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

    public void EditMain(Func<string, string> edit) => Edit("main.bicep", edit);

    /// <summary>Edits one file of the copy, given by its path under infra/ (app/roles.bicep).</summary>
    public void Edit(string file, Func<string, string> edit)
    {
        var path = System.IO.Path.Combine(Path, file);
        var before = File.ReadAllText(path);
        var after = edit(before);
        if (after == before)
        {
            throw new InvalidOperationException($"The edit changed nothing: {file} no longer has the line the test edits.");
        }

        File.WriteAllText(path, after);
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
