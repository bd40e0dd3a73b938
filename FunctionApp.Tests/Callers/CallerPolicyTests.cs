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

    // What an application's own token carries besides its app id: its service principal's object id, as oid and sub.
    private const string AppOnly = "oid=77777777-7777-7777-7777-777777777777;sub=77777777-7777-7777-7777-777777777777";

    public static TheoryData<string, string, string?, TokenErrorKind?> Matrix => new()
    {
        // case, scope, principal header (appid|oid|...), expected refusal (null: allowed)
        { "no principal", Scope, null, TokenErrorKind.Unauthenticated },
        { "allowed caller, allowed scope", Scope, $"appid={OrdersApp};{AppOnly}", null },
        { "allowed caller by azp (v2 token)", Scope, $"azp={OrdersApp};{AppOnly}", null },
        { "allowed caller, scope in other case", "API://INVENTORY/.DEFAULT", $"appid={OrdersApp};{AppOnly}", null },
        { "allowed caller, other scope", "api://reports/.default", $"appid={OrdersApp};{AppOnly}", TokenErrorKind.Forbidden },
        { "allowed caller, a named scope is not .default", "api://inventory/read", $"appid={OrdersApp};{AppOnly}", TokenErrorKind.Forbidden },
        { "caller allowed by object id", "api://reports/.default", $"oid={ReportsObject}", null },
        { "unknown caller", Scope, $"appid=33333333-3333-3333-3333-333333333333;{AppOnly}", TokenErrorKind.Forbidden },
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

    private const string UserObject = "66666666-6666-6666-6666-666666666666";
    private const string UserSubject = "pairwise-subject-of-the-user-for-the-broker";
    private const string NameIdentifier = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier";
    private const string ObjectIdentifier = "http://schemas.microsoft.com/identity/claims/objectidentifier";

    // Claims as App Service Authentication forwards them from real Entra access tokens for the broker.
    // An application is recognised only on a positive signal: idtyp=app, or oid == sub without scp.
    public static TheoryData<string, string, TokenErrorKind?> TokenShapes => new()
    {
        { "v1 app-only token", $"appid={OrdersApp};{ObjectIdentifier}={ReportsObject};{NameIdentifier}={ReportsObject};roles=Tokens.Read", null },
        { "v2 app-only token with idtyp", $"azp={OrdersApp};oid={ReportsObject};sub={ReportsObject};idtyp=app", null },
        { "v2 app-only token without idtyp", $"azp={OrdersApp};oid={ReportsObject};sub={ReportsObject}", null },
        { "v1 user token with scp", $"appid={OrdersApp};{ObjectIdentifier}={UserObject};{NameIdentifier}={UserSubject};http://schemas.microsoft.com/identity/claims/scope=user_impersonation", TokenErrorKind.Forbidden },
        { "v2 user token with roles only", $"azp={OrdersApp};oid={UserObject};sub={UserSubject};roles=Tokens.Read", TokenErrorKind.Forbidden },
        { "v2 user token, .default with nothing granted", $"azp={OrdersApp};oid={UserObject};sub={UserSubject}", TokenErrorKind.Forbidden },
        { "v1 user token with roles only", $"appid={OrdersApp};{ObjectIdentifier}={UserObject};{NameIdentifier}={UserSubject};roles=Tokens.Read", TokenErrorKind.Forbidden },
        { "v2 user token with idtyp=user", $"azp={OrdersApp};oid={UserObject};sub={UserSubject};idtyp=user", TokenErrorKind.Forbidden },
        { "token with no object id", $"appid={OrdersApp};roles=Tokens.Read", TokenErrorKind.Forbidden },
    };

    [Theory]
    [MemberData(nameof(TokenShapes))]
    public void An_allowed_applications_access_goes_only_to_the_application_itself(string @case, string principal, TokenErrorKind? expected)
    {
        var client = new ConfidentialClientOptions { AllowedCallers = [new AllowedCallerOptions { Id = OrdersApp, Scopes = [Scope] }] };
        var policy = new CallerPolicy(Options.Create(new TokenCoreOptions { Clients = { [Client] = client } }));

        var refusal = policy.Authorize(CallerPrincipal.Parse(ClientPrincipalHeader.Encode(principal)), Client, [Scope]);

        Assert.True(expected == refusal?.Kind, $"{@case}: {refusal?.Kind.ToString() ?? "allowed"}");
    }

    [Fact]
    public void A_user_allowed_by_object_id_is_served_whatever_app_they_sign_in_through()
    {
        var client = new ConfidentialClientOptions { AllowedCallers = [new AllowedCallerOptions { Id = UserObject, Scopes = [Scope] }] };
        var policy = new CallerPolicy(Options.Create(new TokenCoreOptions { Clients = { [Client] = client } }));

        Assert.Null(policy.Authorize(CallerPrincipal.Parse(ClientPrincipalHeader.Encode($"azp={OrdersApp};oid={UserObject};sub={UserSubject};roles=Tokens.Read")), Client, [Scope]));
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

        Assert.Null(policy.Authorize(CallerPrincipal.Parse(ClientPrincipalHeader.Encode($"appid={OrdersApp};{AppOnly}")), Client, []));
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
