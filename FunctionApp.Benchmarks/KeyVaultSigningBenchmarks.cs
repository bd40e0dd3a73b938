using System.Globalization;
using BenchmarkDotNet.Attributes;
using TokenFunctions.Benchmarks.Rig;
using TokenFunctions.Tests.Rig;
using TokenFunctions.Tokens;

namespace TokenFunctions.Benchmarks;

/// <summary>
/// (g) A cold request — a new instance over a new, empty table, nothing in memory — for a client whose
/// certificate is in Key Vault, against a vault that takes <see cref="VaultLatency"/> to answer each
/// request. Baseline: the certificate downloaded with its private key (read the certificate, read its
/// secret, MSAL signs in the worker). Contender: signed in the vault (read the certificate's public
/// part, one sign request for the assertion's digest). Both then make the same Entra call and Table
/// write. The instance is built before the measurement; the broker's own vault token is already held.
/// </summary>
[Config(typeof(ColdStartConfig))]
public class KeyVaultSigningBenchmarks
{
    public const string Category = "(g) Cold request, certificate in Key Vault, vault 20 ms";

    public static readonly TimeSpan VaultLatency = TimeSpan.FromMilliseconds(20);

    private static readonly string[] Scopes = [Contenders.Scope];

    private BenchmarkRig _rig = null!;
    private BenchmarkVault _vault = null!;
    private TableTraffic _traffic = new();
    private OperationCounts _before;
    private VaultCalls _vaultBefore;
    private AppProcess? _instance;
    private TokenResult _result;

    [GlobalSetup]
    public async Task SetUpAsync()
    {
        _rig = await BenchmarkRig.SharedAsync();
        _vault = await BenchmarkVault.StartAsync(_rig);
        _vault.Vault.Latency = VaultLatency;
    }

    [GlobalCleanup]
    public void CleanUp()
    {
        _vault.DisposeAsync().AsTask().GetAwaiter().GetResult();
        OperationLog.Flush();
    }

    [IterationSetup(Target = nameof(Downloaded_certificate))]
    public void BeginDownloadIteration() => Begin(signInVault: false);

    [IterationSetup(Target = nameof(Signed_in_key_vault))]
    public void BeginSigningIteration() => Begin(signInVault: true);

    /// <summary><c>Certificate__KeyVaultUri</c> and <c>__Name</c>: the certificate and its private key come to the worker.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory(Category)]
    public async Task<TokenResult> Downloaded_certificate() =>
        _result = await Contenders.ClientOf(_instance!).AcquireTokenForClientAsync(Scopes, null, CancellationToken.None);

    /// <summary>The same with <c>Certificate__SignInKeyVault=true</c>: the key stays in the vault.</summary>
    [Benchmark]
    [BenchmarkCategory(Category)]
    public async Task<TokenResult> Signed_in_key_vault() =>
        _result = await Contenders.ClientOf(_instance!).AcquireTokenForClientAsync(Scopes, null, CancellationToken.None);

    [IterationCleanup(Target = nameof(Downloaded_certificate))]
    public void EndDownloadIteration() => End(nameof(Downloaded_certificate));

    [IterationCleanup(Target = nameof(Signed_in_key_vault))]
    public void EndSigningIteration() => End(nameof(Signed_in_key_vault));

    /// <summary>What each operation of <paramref name="benchmark"/> asked of the vault, as recorded (the smoke run reads it).</summary>
    public static IReadOnlyList<VaultCalls> Read(string benchmark)
    {
        var path = VaultCallsPath(benchmark);
        return File.Exists(path)
            ? [.. File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => l.Split(' ').Select(n => int.Parse(n, CultureInfo.InvariantCulture)).ToArray())
                .Select(n => new VaultCalls(n[0], n[1], n[2]))]
            : [];
    }

    private void Begin(bool signInVault)
    {
        var table = Contenders.NewTableName();
        _rig.Contenders.CreateTableAsync(table).GetAwaiter().GetResult();
        _traffic = new TableTraffic();
        _instance = _vault.StartCore(table, _traffic, signInVault);
        _before = _rig.Counts(_traffic);
        _vaultBefore = VaultCalls.Of(_vault);
    }

    private void End(string benchmark)
    {
        OperationLog.Record(OperationLog.Key(typeof(KeyVaultSigningBenchmarks), benchmark), _rig.Counts(_traffic) - _before);
        var calls = VaultCalls.Of(_vault) - _vaultBefore;
        Directory.CreateDirectory(OperationLog.Folder);
        File.AppendAllLines(VaultCallsPath(benchmark), [string.Create(CultureInfo.InvariantCulture, $"{calls.Signs} {calls.SecretReads} {calls.CertificateReads}")]);
        _instance?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (!_result.Succeeded || _result.Token.Source != TokenSource.IdentityProvider)
        {
            throw new InvalidOperationException($"{benchmark}: the cold request did not get a token from Entra: {_result.Error?.ToString() ?? "from the cache"}");
        }
    }

    private static string VaultCallsPath(string benchmark) =>
        Path.Combine(OperationLog.Folder, OperationLog.Key(typeof(KeyVaultSigningBenchmarks), benchmark) + ".vault.txt");
}

/// <summary>Requests one operation made to the fake Key Vault, by kind.</summary>
public readonly record struct VaultCalls(int Signs, int SecretReads, int CertificateReads)
{
    public static VaultCalls operator -(VaultCalls after, VaultCalls before) =>
        new(after.Signs - before.Signs, after.SecretReads - before.SecretReads, after.CertificateReads - before.CertificateReads);

    internal static VaultCalls Of(BenchmarkVault vault) => new(
        vault.Vault.Signs,
        vault.Vault.SecretReads,
        vault.Vault.Served.Count(s => s.StartsWith("GET /certificates/", StringComparison.Ordinal)));

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Signs} signs, {SecretReads} secret reads, {CertificateReads} certificate reads");
}
