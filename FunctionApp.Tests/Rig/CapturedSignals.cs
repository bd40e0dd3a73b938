using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using TokenFunctions.Telemetry;

namespace TokenFunctions.Tests.Rig;

/// <summary>
/// Every measurement of one app process's meter and every activity under one trace, as an
/// OpenTelemetry exporter would receive them.
/// </summary>
public sealed class CapturedSignals : IDisposable
{
    private readonly MeterListener _meters = new();
    private readonly ActivityListener _activities;
    private readonly ConcurrentQueue<Measurement> _measurements = new();
    private readonly ConcurrentQueue<Activity> _stopped = new();

    public CapturedSignals(Meter meter, ActivityTraceId trace)
    {
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _meters.Start();

        _activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TokenTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
                options.TraceId == trace ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.None,
            ActivityStopped = activity =>
            {
                if (activity.TraceId == trace)
                {
                    _stopped.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(_activities);
    }

    public IReadOnlyCollection<Measurement> Measurements => _measurements;

    public IReadOnlyCollection<Activity> Activities => _stopped;

    /// <summary>The sum of an instrument's measurements whose tags include all of <paramref name="tags"/>.</summary>
    public double Sum(string instrument, params (string Key, string Value)[] tags) =>
        _measurements.Where(m => m.Instrument == instrument && tags.All(t => m.Tags.TryGetValue(t.Key, out var v) && v == t.Value)).Sum(m => m.Value);

    /// <summary>Every tag value of every signal, for asserting what may never appear.</summary>
    public IEnumerable<string> AllTagValues =>
        _measurements.SelectMany(m => m.Tags.Values)
            .Concat(_stopped.SelectMany(a => a.TagObjects.Select(t => t.Value?.ToString() ?? "")))
            .Concat(_stopped.Select(a => a.DisplayName));

    public void Dispose()
    {
        _meters.Dispose();
        _activities.Dispose();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, string>();
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value?.ToString() ?? "";
        }

        _measurements.Enqueue(new Measurement(instrument.Name, value, copy));
    }

    public sealed record Measurement(string Instrument, double Value, IReadOnlyDictionary<string, string> Tags);
}
