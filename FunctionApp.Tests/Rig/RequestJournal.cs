using System.Collections.Concurrent;

namespace TokenFunctions.Tests.Rig;

/// <summary>Every outgoing HTTP request of one app process, for counting Table, Entra and Key Vault calls.</summary>
public sealed class RequestJournal
{
    private readonly ConcurrentQueue<JournalEntry> _entries = new();

    public IReadOnlyCollection<JournalEntry> Entries => _entries;

    /// <summary>Requests to one host (a name, or 127.0.0.1 for Azurite), optionally of one method.</summary>
    public int Count(string host, string? method = null) =>
        _entries.Count(e => e.Host.Equals(host, StringComparison.OrdinalIgnoreCase) && (method is null || e.Method == method));

    /// <summary>Requests to Azurite's Table endpoint.</summary>
    public int TableRequests(string? method = null) => Count("127.0.0.1", method);

    public void Clear() => _entries.Clear();

    public sealed class Handler(RequestJournal journal) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            journal._entries.Enqueue(new JournalEntry(request.Method.Method, request.RequestUri!.Host, request.RequestUri.AbsolutePath));
            return base.SendAsync(request, cancellationToken);
        }
    }
}

public sealed record JournalEntry(string Method, string Host, string Path);
