using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Reflection.Emit;

namespace TokenFunctions.Benchmarks.Rig;

/// <summary>
/// The methods a process JIT-compiles, as the runtime reports them to an in-process listener
/// (MethodLoadVerbose under the JIT keyword): what a fresh-process child could not take from
/// ReadyToRun code, for a profile: one line per method, with when it was compiled (milliseconds
/// since the process started), its tier and flags. Started first thing in the child, so its own cost (the listener
/// and the runtime's event dispatch, a few dozen methods) is in the list and in the child's counts:
/// the child runs it only when asked to write the list.
/// </summary>
internal sealed class JittedMethodLog : EventListener
{
    private const string RuntimeProvider = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords JitKeyword = (EventKeywords)0x10;
    private const int MethodLoadVerbose = 143;
    private const string FlushMethodName = "JittedMethodLogFlush";

    // Runs before EventListener's constructor, which already reports the existing sources.
    private readonly ConcurrentQueue<string> _methods = new();
    private readonly TaskCompletionSource _flushed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly DateTime _processStart = Process.GetCurrentProcess().StartTime.ToUniversalTime();

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == RuntimeProvider)
        {
            EnableEvents(eventSource, EventLevel.Verbose, JitKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventId != MethodLoadVerbose || eventData.Payload is not { } payload || eventData.PayloadNames is not { } names)
        {
            return;
        }

        string Field(string name) => payload[names.IndexOf(name)]?.ToString() ?? "";
        var name = Field("MethodName");
        if (name == FlushMethodName)
        {
            _flushed.TrySetResult();
            return;
        }

        // MethodFlags: 0x8 jitted, 0x40 ReadyToRun code rejected; bits 7-10 the optimization tier.
        var flags = Convert.ToUInt32(payload[names.IndexOf("MethodFlags")], CultureInfo.InvariantCulture);
        var tier = (flags >> 7) & 0xF;
        _methods.Enqueue(string.Create(CultureInfo.InvariantCulture, $"{(eventData.TimeStamp - _processStart).TotalMilliseconds:0.0}\t{TierName(tier)}\t0x{flags:x}\t{Field("MethodNamespace")}::{name}\t{Field("MethodSignature")}"));
    }

    /// <summary>
    /// The methods reported so far, once every event up to now has arrived: the runtime delivers
    /// them asynchronously, so a method compiled now for the purpose marks the end of the stream.
    /// </summary>
    public async Task<IReadOnlyList<string>> FlushAsync()
    {
        var marker = new DynamicMethod(FlushMethodName, typeof(int), Type.EmptyTypes);
        var il = marker.GetILGenerator();
        il.Emit(OpCodes.Ldc_I4_1);
        il.Emit(OpCodes.Ret);
        marker.Invoke(null, null);
        await _flushed.Task.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        return [.. _methods];
    }

    private static string TierName(uint tier) => tier switch
    {
        1 => "MinOpt",
        2 => "Optimized",
        3 => "Tier0",
        4 => "Tier1",
        5 => "ReadyToRun",
        6 => "PreJIT",
        7 => "Tier0Instrumented",
        8 => "Tier1Instrumented",
        _ => "Unknown",
    };
}
