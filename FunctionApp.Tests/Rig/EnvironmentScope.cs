namespace TokenFunctions.Tests.Rig;

/// <summary>
/// Process environment variables set for one block and restored after it: some SDK clients read
/// their configuration from the environment alone. Only tests in a collection that runs alone may use
/// it, or another test's credential would see the variables too.
/// </summary>
public sealed class EnvironmentScope : IDisposable
{
    private readonly Dictionary<string, string?> _saved = [];

    public EnvironmentScope(IReadOnlyDictionary<string, string?> variables)
    {
        foreach (var (name, value) in variables)
        {
            _saved[name] = Environment.GetEnvironmentVariable(name);
            Environment.SetEnvironmentVariable(name, value);
        }
    }

    public void Dispose()
    {
        foreach (var (name, value) in _saved)
        {
            Environment.SetEnvironmentVariable(name, value);
        }
    }
}
