using Microsoft.Extensions.Options;
using TokenFunctions.Callers;
using TokenFunctions.Tokens;
using Xunit;

namespace TokenFunctions.Tests.Callers;

/// <summary>
/// A broker that hands any caller any token is a breach waiting to happen. The policy alone, on the
/// principal the platform vouches for: plain unit tests, no Table, no Entra.
/// </summary>
public sealed class CallerPolicyTests
{
    private const string Client = "orders";
    private const string Scope = "api://inventory/.default";
    private const string OrdersApp = "11111111-1111-1111-1111-111111111111";
    private const string ReportsObject = "22222222-2222-2222-2222-222222222222";

    public static TheoryData<string, string, string?, TokenErrorKind?> Matrix => new()
    {
        // case, scope, principal header (appid|oid|...), expected refusal (null: allowed)
        { "no principal", Scope, null, TokenErrorKind.Unauthenticated },
        { "allowed caller, allowed scope", Scope, $"appid={OrdersApp}", null },
        { "allowed caller by azp (v2 token)", Scope, $"azp={OrdersApp}", null },
        { "allowed caller, scope in other case", "API://INVENTORY/.DEFAULT", $"appid={OrdersApp}", null },
        { "allowed caller, other scope", "api://reports/.default", $"appid={OrdersApp}", TokenErrorKind.Forbidden },
        { "allowed caller, a named scope is not .default", "api://inventory/read", $"appid={OrdersApp}", TokenErrorKind.Forbidden },
        { "caller allowed by object id", "api://reports/.default", $"oid={ReportsObject}", null },
        { "unknown caller", Scope, "appid=33333333-3333-3333-3333-333333333333", TokenErrorKind.Forbidden },
        { "unreadable principal header", Scope, "garbage", TokenErrorKind.Unauthenticated },
        { "a user's delegated token through the allowed app", Scope, $"appid={OrdersApp};scp=user_impersonation", TokenErrorKind.Forbidden },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public void Who_may_ask_for_what(string @case, string scope, string? principal, TokenErrorKind? expected)
    {
        var policy = PolicyWithAllowedCallers();
        var caller = principal is null ? null : CallerPrincipal.Parse(ClientPrincipalHeader.Encode(principal));

        var refusal = policy.Authorize(caller, Client, [scope]);

        Assert.True(expected == refusal?.Kind, $"{@case}: {refusal?.Kind.ToString() ?? "allowed"}");
        if (refusal is not null)
        {
            Assert.False(string.IsNullOrEmpty(refusal.Error));
            Assert.False(string.IsNullOrEmpty(refusal.Description));
        }
    }

    [Fact]
    public void A_client_without_allowed_callers_serves_any_key_holder()
    {
        var policy = new CallerPolicy(Options.Create(new TokenCoreOptions { Clients = { [Client] = new ConfidentialClientOptions() } }));

        Assert.Null(policy.Authorize(caller: null, Client, ["api://anything/.default"]));
    }

    [Fact]
    public void A_client_that_restricts_its_callers_lets_only_them_remove_its_tokens()
    {
        var policy = PolicyWithAllowedCallers();

        Assert.Null(policy.Authorize(CallerPrincipal.Parse(ClientPrincipalHeader.Encode($"appid={OrdersApp}")), Client, []));
        Assert.Equal(TokenErrorKind.Forbidden, policy.Authorize(CallerPrincipal.Parse(ClientPrincipalHeader.Encode("appid=someone-else")), Client, [])?.Kind);
        Assert.Equal(TokenErrorKind.Unauthenticated, policy.Authorize(caller: null, Client, [])?.Kind);
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("null")]
    [InlineData("\"a string\"")]
    [InlineData("{\"claims\":{}}")]
    public void A_principal_header_that_is_not_the_platforms_shape_names_no_caller(string json)
    {
        var header = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(json));

        Assert.Null(CallerPrincipal.Parse(header));
    }

    private static CallerPolicy PolicyWithAllowedCallers()
    {
        var client = new ConfidentialClientOptions
        {
            AllowedCallers =
            [
                new AllowedCallerOptions { Id = OrdersApp, Scopes = [Scope] },
                new AllowedCallerOptions { Id = ReportsObject, Scopes = ["api://reports/.default"] },
            ],
        };
        return new CallerPolicy(Options.Create(new TokenCoreOptions { Clients = { [Client] = client } }));
    }
}
