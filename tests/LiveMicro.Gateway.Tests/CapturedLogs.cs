using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LiveMicro.Gateway.Tests;

/// <summary>Keeps every log line of an in-process gateway, so a test can assert on a warning.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Category, string Message)> _lines = new();

    public IReadOnlyCollection<(LogLevel Level, string Category, string Message)> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            logs._lines.Enqueue((logLevel, category, formatter(state, exception)));
    }
}
