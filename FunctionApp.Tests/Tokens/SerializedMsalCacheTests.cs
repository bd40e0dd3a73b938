using System.Text;
using TokenFunctions.Tokens;
using Xunit;

namespace TokenFunctions.Tests.Tokens;

/// <summary>
/// What a cold Table hit serves without MSAL: the one bearer app token of the client, in the tenant,
/// for every scope asked (as MSAL matches them), or nothing, so that MSAL decides.
/// </summary>
public sealed class SerializedMsalCacheTests
{
    private const string ClientId = "ac9f085e-c4a4-4863-8c81-9548f012aafa";
    private const string Tenant = "b54927be-d84c-4f90-8a02-a32124684a76";
    private static readonly string[] Inventory = ["api://inventory/.default"];

    private static string Entry(
        string clientId = ClientId, string? realm = Tenant, string target = "api://inventory/.default", string secret = "token-1", string extra = "") =>
        $$"""
        "-login.windows.net-accesstoken-{{clientId}}-{{realm}}-{{target}}":{"environment":"login.windows.net","client_id":"{{clientId}}","secret":"{{secret}}","credential_type":"AccessToken",{{(realm is null ? "" : $"\"realm\":\"{realm}\",")}}"target":"{{target}}","cached_at":"1796201070","expires_on":"1796204670","extended_expires_on":"1796204670"{{extra}}}
        """;

    private static AccessToken? Find(string entries, string clientId = ClientId, string realm = Tenant, string[]? scopes = null, StringComparer? comparer = null) =>
        SerializedMsalCache.FindAppToken(
            Encoding.UTF8.GetBytes("{\"AccessToken\":{" + entries + "},\"RefreshToken\":{},\"AppMetadata\":{}}"),
            clientId, realm, scopes ?? Inventory, comparer ?? StringComparer.OrdinalIgnoreCase);

    [Fact]
    public void The_clients_token_for_the_scope_is_found_with_its_expiry()
    {
        var token = Find(Entry());

        Assert.Equal(("Bearer", "token-1", DateTimeOffset.FromUnixTimeSeconds(1796204670), TokenSource.Cache), (token!.TokenType, token.Value, token.ExpiresOn, token.Source));
    }

    [Fact]
    public void Client_and_tenant_compare_without_case() =>
        Assert.NotNull(Find(Entry(clientId: ClientId.ToUpperInvariant(), realm: Tenant.ToUpperInvariant())));

    [Theory]
    [InlineData("00000000-0000-0000-0000-000000000000", Tenant)]
    [InlineData(ClientId, "other-tenant")]
    public void Another_clients_or_tenants_token_is_not_found(string clientId, string realm) =>
        Assert.Null(Find(Entry(clientId: clientId, realm: realm)));

    [Fact]
    public void A_token_without_a_realm_answers_only_an_authority_without_one()
    {
        Assert.Null(Find(Entry(realm: null)));
        Assert.NotNull(Find(Entry(realm: null), realm: ""));
    }

    [Fact]
    public void A_token_for_more_scopes_answers_any_of_them_as_the_comparer_says()
    {
        var both = Entry(target: "read:orders  Write:Orders");

        Assert.NotNull(Find(both, scopes: ["write:orders"]));
        Assert.NotNull(Find(both, scopes: ["Write:Orders", "read:orders"], comparer: StringComparer.Ordinal));
        Assert.Null(Find(both, scopes: ["write:orders"], comparer: StringComparer.Ordinal));
        Assert.Null(Find(both, scopes: ["read:orders", "delete:orders"]));
        Assert.Null(Find(both, scopes: ["read"]));
    }

    [Fact]
    public void Escaped_values_read_as_their_text()
    {
        var escaped = Entry(clientId: ClientId.Replace("a", "\\u0061", StringComparison.Ordinal), target: "api:\\/\\/inventory\\/.default", secret: "token\\u002d1");

        Assert.Equal("token-1", Find(escaped)!.Value);
    }

    [Fact]
    public void Two_tokens_that_answer_are_left_to_msal() =>
        Assert.Null(Find(Entry() + "," + Entry(secret: "token-2").Replace("accesstoken-", "accesstoken2-", StringComparison.Ordinal)));

    [Fact]
    public void Another_resources_token_beside_it_changes_nothing() =>
        Assert.Equal("token-1", Find(Entry() + "," + Entry(target: "api://elsewhere/.default", secret: "token-2"))!.Value);

    [Theory]
    [InlineData(",\"token_type\":\"pop\"")]
    [InlineData(",\"key_id\":\"k1\"")]
    [InlineData(",\"home_account_id\":\"u\"")]
    [InlineData(",\"expires_on\":\"soon\"")]
    [InlineData(",\"cached_at\":1796201070")]
    public void A_token_with_anything_the_reader_does_not_vouch_for_is_left_to_msal(string extra) =>
        Assert.Null(Find(Entry(extra: extra)));

    [Fact]
    public void A_token_of_another_credential_type_or_without_a_secret_is_not_found()
    {
        Assert.Null(Find(Entry().Replace("\"credential_type\":\"AccessToken\"", "\"credential_type\":\"AccessToken_With_AuthScheme\"", StringComparison.Ordinal)));
        Assert.Null(Find(Entry(secret: "")));
    }

    [Fact]
    public void Json_that_is_not_msals_is_left_to_msal()
    {
        Assert.Null(SerializedMsalCache.FindAppToken("""{"AccessToken":[]}"""u8, ClientId, Tenant, Inventory, StringComparer.OrdinalIgnoreCase));
        Assert.Null(SerializedMsalCache.FindAppToken("{\"AccessToken\":{\"k\":{\"secret\":\"t"u8, ClientId, Tenant, Inventory, StringComparer.OrdinalIgnoreCase));
    }
}
