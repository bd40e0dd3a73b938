using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using TokenFunctions.Functions;
using TokenFunctions.Tests.Fakes;

namespace TokenFunctions.Tests.Rig;

/// <summary>
/// The managed-identity function behind a real HTTP server (Kestrel, plain HTTP on 127.0.0.1), so
/// that the real SDK clients call it over the wire: the request they send is the request the function
/// reads, and the function's result is written to the real response. Every request is recorded, so a
/// test can see whether a client retried.
/// </summary>
public sealed class ManagedIdentityServer : IAsyncDisposable
{
    private readonly WebApplication _web;

    private ManagedIdentityServer(WebApplication web, ConcurrentQueue<string> requests)
    {
        _web = web;
        Requests = requests;
    }

    /// <summary>Every request that reached the route, as path and query.</summary>
    public ConcurrentQueue<string> Requests { get; }

    public int Port => LoopbackHost.PortOf(_web);

    /// <summary>What a caller sets as <c>IDENTITY_ENDPOINT</c> for <paramref name="client"/>.</summary>
    public string Endpoint(string client) => $"http://127.0.0.1:{Port}/api/clients/{client}/managed-identity/token";

    public static async Task<ManagedIdentityServer> StartAsync(AppProcess app)
    {
        var web = LoopbackHost.Create(https: false);
        var requests = new ConcurrentQueue<string>();
        web.MapGet("/api/clients/{client}/managed-identity/token", async http =>
        {
            requests.Enqueue($"{http.Request.Path}{http.Request.QueryString}");
            var function = ActivatorUtilities.CreateInstance<ManagedIdentityTokenFunction>(app.Services);
            var result = await function.Run(http.Request, (string)http.Request.RouteValues["client"]!, http.RequestAborted);
            await result.ExecuteResultAsync(new ActionContext(http, http.GetRouteData(), new ActionDescriptor()));
        });
        await web.StartAsync();
        return new ManagedIdentityServer(web, requests);
    }

    public async ValueTask DisposeAsync() => await _web.DisposeAsync();
}
