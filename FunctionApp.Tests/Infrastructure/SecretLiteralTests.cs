using TokenFunctions.Tests.Fakes;
using Xunit;

namespace TokenFunctions.Tests.Infrastructure;

/// <summary>No credential is ever written into the infrastructure, azure.yaml or the sample settings.</summary>
public sealed class SecretLiteralTests
{
    private static IEnumerable<string> ScannedFiles()
    {
        var root = RepositoryRoot.FullPath;
        return Directory.EnumerateFiles(Path.Combine(root, "infra"), "*", SearchOption.AllDirectories)
            .Append(Path.Combine(root, "azure.yaml"))
            .Append(Path.Combine(root, "local.settings.sample.json"));
    }

    [Fact]
    public void Infra_azure_yaml_and_the_sample_settings_hold_no_secret_literal()
    {
        var files = ScannedFiles().ToList();

        var findings = files.SelectMany(f => SecretLiterals.Find(File.ReadAllText(f)).Select(s => $"{Path.GetRelativePath(RepositoryRoot.FullPath, f)}: {s}"));

        Assert.Contains(files, f => f.EndsWith("main.bicep", StringComparison.Ordinal));
        Assert.Empty(findings);
    }

    [Theory]
    [InlineData("AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountName=st;AccountKey=abc;EndpointSuffix=core.windows.net'", "a storage account key")]
    [InlineData("\"Url\": \"https://st.blob.core.windows.net/c?sv=2022-11-02&ss=b&sig=abcdefghijklmnop%3D\"", "a shared access signature")]
    [InlineData("Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=abc", "a shared access signature")]
    [InlineData("TokenCache__EncryptionKey: 'q2VvN7mUoB1bS3fH8dQ0zXw4tY6rJ5kL9aE2cG7iP1o='", "a base64 32-byte key")]
    [InlineData("\"TokenCache__EncryptionKey\": \"not-base64-but-a-secret\"", "a password or secret value")]
    [InlineData("\"Clients__sample__Certificate__Password\": \"hunter2\"", "a password or secret value")]
    [InlineData("param adminPassword string = 'P@ssw0rd!'", "a password or secret value")]
    [InlineData("'Clients__${clientName}__ClientSecret': 'abc123'", "a password or secret value")]
    [InlineData("APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=01234567-89ab-cdef-0123-456789abcdef'", "an instrumentation key")]
    [InlineData("-----BEGIN RSA PRIVATE KEY-----", "a private key")]
    public void A_secret_written_into_a_copy_is_found(string line, string kind)
    {
        var clean = File.ReadAllText(Path.Combine(RepositoryRoot.FullPath, "infra", "main.bicep"));

        var findings = SecretLiterals.Find(clean + "\n" + line + "\n").ToList();

        Assert.Contains(findings, f => f.StartsWith(kind + ":", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("TokenCache__EncryptionKey: '@Microsoft.KeyVault(SecretUri=${vault.outputs.uri}secrets/${tokenCacheKeySecretName})'")]
    [InlineData("\"Clients__sample__Certificate__Password\": \"\"")]
    [InlineData("param tokenCacheKeySecretName string = 'token-cache-key'")]
    [InlineData("'Clients__${clientName}__ClientSecret': clientSecretReference")]
    public void References_names_and_empty_values_are_not_secrets(string line)
    {
        Assert.Empty(SecretLiterals.Find(line));
    }
}
