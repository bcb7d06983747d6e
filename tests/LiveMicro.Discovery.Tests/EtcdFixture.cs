using LiveMicro.Testing;

namespace LiveMicro.Discovery.Tests;

[CollectionDefinition(Name)]
public sealed class EtcdCollection : ICollectionFixture<EtcdFixture>
{
    public const string Name = "etcd";
}

/// <summary>A real etcd for the collection and a client on it.</summary>
public sealed class EtcdFixture : IAsyncLifetime
{
    private EtcdServer? _etcd;

    public string Endpoint => _etcd!.Endpoint;

    public EtcdClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _etcd = await EtcdServer.StartAsync();
        Client = new EtcdClient(new HttpClient { BaseAddress = new Uri(_etcd.Endpoint), Timeout = TimeSpan.FromSeconds(10) });
    }

    public async Task DisposeAsync()
    {
        if (_etcd is not null) await _etcd.DisposeAsync();
    }
}
