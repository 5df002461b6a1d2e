using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace FileServer.Tests.Support;

/// <summary>One captured log event with its structured values.</summary>
public sealed record CapturedLog(string Category, LogLevel Level, EventId EventId, string Message, IReadOnlyDictionary<string, object?> Values, Exception? Exception);

/// <summary>An <see cref="ILoggerProvider"/> that keeps every event, so tests can assert on the access log.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedLog> _logs = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<CapturedLog>> _waiters = new();

    public IReadOnlyCollection<CapturedLog> Logs => _logs;

    public IEnumerable<CapturedLog> Access => _logs.Where(l => l.Category == FileServer.Hosting.FileServerHost.AccessLogCategory);

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, this);

    /// <summary>Completes when an event with <paramref name="eventId"/> is (or was) logged: synchronisation without sleeps.</summary>
    public Task<CapturedLog> WaitForEventAsync(int eventId)
    {
        var waiter = _waiters.GetOrAdd(eventId, _ => new TaskCompletionSource<CapturedLog>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (_logs.FirstOrDefault(l => l.EventId.Id == eventId) is { } already)
        {
            waiter.TrySetResult(already);
        }
        return waiter.Task;
    }

    private void Add(CapturedLog log)
    {
        _logs.Enqueue(log);
        if (_waiters.TryGetValue(log.EventId.Id, out var waiter))
        {
            waiter.TrySetResult(log);
        }
    }

    public void Dispose()
    {
    }

    private sealed class Logger(string category, CapturingLoggerProvider sink) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = new Dictionary<string, object?>();
            if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                foreach (var pair in pairs)
                {
                    values[pair.Key] = pair.Value;
                }
            }
            sink.Add(new CapturedLog(category, logLevel, eventId, formatter(state, exception), values, exception));
        }
    }
}
