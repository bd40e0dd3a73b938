using TokenFunctions.Tokens;
using Xunit;

namespace TokenFunctions.Tests.Tokens;

public sealed class SingleFlightTests
{
    [Fact]
    public async Task Concurrent_callers_with_one_key_share_one_run_and_the_key_is_free_after_it()
    {
        var flight = new SingleFlight<int>(StringComparer.Ordinal);
        var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = 0;
        Task<int> Work()
        {
            Interlocked.Increment(ref runs);
            return release.Task;
        }

        var callers = Enumerable.Range(0, 50).Select(_ => flight.RunAsync("k", Work, CancellationToken.None)).ToList();
        release.SetResult(42);

        Assert.All(await Task.WhenAll(callers), r => Assert.Equal(42, r));
        Assert.Equal(1, runs);
        Assert.Equal(7, await flight.RunAsync("k", () => Task.FromResult(7), CancellationToken.None));
    }

    [Fact]
    public async Task A_caller_that_gives_up_does_not_cancel_the_run_for_the_others()
    {
        var flight = new SingleFlight<int>(StringComparer.Ordinal);
        var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var impatient = new CancellationTokenSource();

        var leaving = flight.RunAsync("k", () => release.Task, impatient.Token);
        var staying = flight.RunAsync("k", () => Task.FromResult(-1), CancellationToken.None);
        await impatient.CancelAsync();
        release.SetResult(42);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving);
        Assert.Equal(42, await staying);
    }

    [Fact]
    public async Task Keys_that_differ_only_in_case_are_different_flights_with_an_ordinal_comparer()
    {
        var flight = new SingleFlight<string>(StringComparer.Ordinal);
        var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);

        var upper = flight.RunAsync("Abc", () => release.Task, CancellationToken.None);
        var lower = flight.RunAsync("abc", () => Task.FromResult("lower"), CancellationToken.None);
        release.SetResult("upper");

        Assert.Equal("upper", await upper);
        Assert.Equal("lower", await lower);
    }
}
