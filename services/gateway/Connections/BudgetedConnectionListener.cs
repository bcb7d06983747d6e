using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace LiveMicro.Gateway.Connections;

/// <summary>A Kestrel transport (the gateway's socket loops or Kestrel's own) whose listeners keep to the
/// <see cref="ConnectionBudget"/>: a connection over it is closed in the accept loop itself, before the next is
/// accepted, so no burst holds more descriptors than the budget and one.</summary>
internal sealed class BudgetedConnectionListenerFactory(IConnectionListenerFactory transport, ConnectionBudget budget)
    : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    public bool CanBind(EndPoint endpoint) => transport is not IConnectionListenerFactorySelector selector || selector.CanBind(endpoint);

    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default) =>
        new BudgetedConnectionListener(await transport.BindAsync(endpoint, cancellationToken), budget);
}

internal sealed class BudgetedConnectionListener(IConnectionListener listener, ConnectionBudget budget) : IConnectionListener
{
    public EndPoint EndPoint => listener.EndPoint;

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var connection = await listener.AcceptAsync(cancellationToken);
            if (connection is null) return null;
            if (budget.TryTake()) return new BudgetedConnection(connection, budget);
            connection.Abort(new ConnectionAbortedException("Too many client connections are open."));
            await connection.DisposeAsync();
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default) => listener.UnbindAsync(cancellationToken);

    public ValueTask DisposeAsync() => listener.DisposeAsync();

    /// <summary>The transport's connection, giving its place back once disposed.</summary>
    private sealed class BudgetedConnection(ConnectionContext connection, ConnectionBudget budget) : ConnectionContext
    {
        private int _disposed;

        public override IDuplexPipe Transport
        {
            get => connection.Transport;
            set => connection.Transport = value;
        }

        public override string ConnectionId
        {
            get => connection.ConnectionId;
            set => connection.ConnectionId = value;
        }

        public override IFeatureCollection Features => connection.Features;

        public override IDictionary<object, object?> Items
        {
            get => connection.Items;
            set => connection.Items = value;
        }

        public override CancellationToken ConnectionClosed
        {
            get => connection.ConnectionClosed;
            set => connection.ConnectionClosed = value;
        }

        public override EndPoint? LocalEndPoint
        {
            get => connection.LocalEndPoint;
            set => connection.LocalEndPoint = value;
        }

        public override EndPoint? RemoteEndPoint
        {
            get => connection.RemoteEndPoint;
            set => connection.RemoteEndPoint = value;
        }

        public override void Abort(ConnectionAbortedException abortReason) => connection.Abort(abortReason);

        public override async ValueTask DisposeAsync()
        {
            try
            {
                await connection.DisposeAsync();
            }
            finally
            {
                if (Interlocked.Exchange(ref _disposed, 1) == 0) budget.Return();
            }
        }
    }
}
