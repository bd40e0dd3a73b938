using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TokenFunctions.Functions;
using TokenFunctions.Telemetry;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Functions;

/// <summary>
/// An exception no function handled: the contract's 500 for HTTP, one log line with the exception, one
/// count, and never the exception's text in the answer.
/// </summary>
[Collection(UsesAzurite.Name)]
public sealed class UnhandledExceptionTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string ExceptionText = "exception text that may carry anything 5d1c";
    private EntraScenario _scenario = null!;

    public async Task InitializeAsync() => _scenario = await EntraScenario.StartAsync(azurite.Server);

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    [Fact]
    public async Task A_function_that_throws_answers_the_contracts_500_and_is_logged_once_and_counted_once()
    {
        await using var app = _scenario.StartProcess();
        using var invocation = new Activity("Functions invocation").Start(); // as the worker's invocation would be
        using var signals = new CapturedSignals(app.Services.GetRequiredService<TokenTelemetry>().Meter, invocation.TraceId);

        // Reading the body fails inside the server while the caller is still there.
        var response = await HostRouting.SendAsync(app, "POST", $"/api/clients/{EntraScenario.Client}/token", new FailingStream(), 100, "application/json");

        Assert.Equal(500, response.Status);
        Assert.Equal("application/json; charset=utf-8", response.Headers.ContentType.ToString());
        Assert.Equal("no-store", response.Headers.CacheControl.ToString());
        Assert.Equal("no-cache", response.Headers.Pragma.ToString());
        Assert.Equal("temporarily_unavailable", response.Text("error"));
        Assert.False(string.IsNullOrWhiteSpace(response.Text("error_description")));
        Assert.Equal(invocation.TraceId.ToHexString(), response.Text("correlation_id"));
        Assert.DoesNotContain(ExceptionText, response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("IOException", response.Body, StringComparison.Ordinal);

        var logged = Assert.Single(app.Logs.Lines, l => l.Category == typeof(UnhandledExceptionMiddleware).FullName);
        Assert.Equal(LogLevel.Error, logged.Level);
        Assert.Equal(6000, logged.EventId.Id);
        Assert.Contains(ExceptionText, logged.Exception, StringComparison.Ordinal);
        Assert.DoesNotContain(ExceptionText, logged.Message, StringComparison.Ordinal);
        Assert.Contains("AcquireTokenForClient", logged.Message, StringComparison.Ordinal);
        Assert.Contains(invocation.TraceId.ToHexString(), logged.Message, StringComparison.Ordinal);

        Assert.Equal(1, signals.Sum("tokenfunctions.unhandled_exceptions"));
        Assert.Equal(1, signals.Sum("tokenfunctions.unhandled_exceptions", ("function", "AcquireTokenForClient")));
    }

    [Fact]
    public async Task A_timer_function_that_throws_is_logged_and_counted_with_nothing_to_answer()
    {
        await using var app = _scenario.StartProcess();
        using var invocation = new Activity("Functions invocation").Start();
        using var signals = new CapturedSignals(app.Services.GetRequiredService<TokenTelemetry>().Meter, invocation.TraceId);
        var middleware = ActivatorUtilities.CreateInstance<UnhandledExceptionMiddleware>(app.Services);

        var answer = await middleware.RunAsync("PrewarmTokens", http: null, () => throw new InvalidOperationException(ExceptionText), CancellationToken.None);

        Assert.Null(answer);
        var logged = Assert.Single(app.Logs.Lines, l => l.Category == typeof(UnhandledExceptionMiddleware).FullName);
        Assert.Contains(ExceptionText, logged.Exception, StringComparison.Ordinal);
        Assert.Equal(1, signals.Sum("tokenfunctions.unhandled_exceptions", ("function", "PrewarmTokens")));
    }

    [Fact]
    public async Task A_caller_that_went_away_or_a_cancelled_invocation_is_not_the_brokers_failure()
    {
        await using var app = _scenario.StartProcess();
        using var invocation = new Activity("Functions invocation").Start();
        using var signals = new CapturedSignals(app.Services.GetRequiredService<TokenTelemetry>().Meter, invocation.TraceId);
        var middleware = ActivatorUtilities.CreateInstance<UnhandledExceptionMiddleware>(app.Services);
        using var gone = new CancellationTokenSource();
        await gone.CancelAsync();

        var aborted = new DefaultHttpContext { RequestServices = app.Services, RequestAborted = gone.Token };
        await Assert.ThrowsAsync<IOException>(() =>
            middleware.RunAsync("AcquireTokenForClient", aborted, () => throw new IOException(ExceptionText), CancellationToken.None));
        await Assert.ThrowsAsync<OperationCanceledException>(() =>
            middleware.RunAsync("AcquireTokenForClient", new DefaultHttpContext(), () => throw new OperationCanceledException(gone.Token), gone.Token));

        Assert.DoesNotContain(app.Logs.Lines, l => l.Category == typeof(UnhandledExceptionMiddleware).FullName);
        Assert.Equal(0, signals.Sum("tokenfunctions.unhandled_exceptions"));
    }

    /// <summary>A request body whose every read fails, as a server's does when its transport breaks.</summary>
    private sealed class FailingStream : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => throw new IOException(ExceptionText);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromException<int>(new IOException(ExceptionText));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
