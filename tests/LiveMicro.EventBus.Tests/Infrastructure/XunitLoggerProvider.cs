using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace LiveMicro.EventBus.Tests.Infrastructure;

/// <summary>Writes the hosts' logs into the test's output, where a failing test shows them.</summary>
public sealed class XunitLoggerProvider(ITestOutputHelper output, string hostName) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new XunitLogger(output, hostName, categoryName[(categoryName.LastIndexOf('.') + 1)..]);

    public void Dispose()
    {
    }

    private sealed class XunitLogger(ITestOutputHelper output, string hostName, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            var line = $"{DateTime.UtcNow:HH:mm:ss.fff} [{hostName}] {logLevel} {category}: {formatter(state, exception)}";
            if (exception is not null) line += $" ({exception.GetType().Name}: {exception.Message})";
            try
            {
                output.WriteLine(line);
            }
            catch (InvalidOperationException)
            {
                // A host still logging while it shuts down after its test has finished.
            }
        }
    }
}
