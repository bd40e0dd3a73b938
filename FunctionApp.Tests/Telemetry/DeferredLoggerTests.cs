using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TokenFunctions.Authorities;
using TokenFunctions.Caching;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using TokenFunctions.Tokens;
using Xunit;

namespace TokenFunctions.Tests.Telemetry;

/// <summary>
/// The parts that log only when something goes wrong create their logger on their first line, under
/// the category <c>ILogger&lt;T&gt;</c> would give them.
/// </summary>
public sealed class DeferredLoggerTests
{
    [Fact]
    public async Task A_new_instance_creates_no_logger_for_the_parts_that_have_not_logged_and_their_first_line_has_their_category()
    {
        var created = new CreatedCategories();
        await using var app = AppProcess.Start(StandaloneSettings.OneClientWithSecret, new LoopbackRouting(), configure: services => services.AddLogging(logging => logging.AddProvider(created)));

        var availability = app.Services.GetRequiredService<TableAvailability>();
        app.Services.GetRequiredService<EntraThrottle>();
        app.Services.GetRequiredService<RegionResolver>();
        Assert.DoesNotContain(typeof(TableAvailability).FullName, created.Categories);
        Assert.DoesNotContain(typeof(EntraThrottle).FullName, created.Categories);
        Assert.DoesNotContain(typeof(RegionResolver).FullName, created.Categories);

        availability.ReportFailure("read", new TimeoutException());

        var outage = Assert.Single(app.Logs.Lines, l => l.EventId.Id == 2010);
        Assert.Equal(typeof(TableAvailability).FullName, outage.Category);
    }

    [Fact]
    public async Task A_table_failure_after_the_instance_is_disposed_is_still_reported_as_no_table_not_as_a_disposed_logger()
    {
        // A Table call that fails while the host shuts down logs its first line after the container
        // (and its logger factory) is gone: that must stay "no Table this time", never another exception.
        var app = AppProcess.Start(StandaloneSettings.OneClientWithSecret, new LoopbackRouting());
        var availability = app.Services.GetRequiredService<TableAvailability>();
        await app.DisposeAsync();

        var failure = Record.Exception(() => availability.ReportFailure("read", new TimeoutException()));

        Assert.Null(failure);
        Assert.False(availability.ShouldTry);
    }

    private sealed class CreatedCategories : ILoggerProvider
    {
        private readonly List<string> _categories = [];

        public IReadOnlyList<string> Categories
        {
            get
            {
                lock (_categories)
                {
                    return [.. _categories];
                }
            }
        }

        public ILogger CreateLogger(string categoryName)
        {
            lock (_categories)
            {
                _categories.Add(categoryName);
            }

            return Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        }

        public void Dispose()
        {
        }
    }
}
