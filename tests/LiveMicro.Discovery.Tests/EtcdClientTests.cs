using LiveMicro.Testing;

namespace LiveMicro.Discovery.Tests;

[Collection(EtcdCollection.Name)]
public sealed class EtcdClientTests(EtcdFixture fixture)
{
    private EtcdClient Etcd => fixture.Client;

    private static string UniquePrefix() => $"/test/{ApiClient.UniqueName("p")}/";

    [Fact]
    public async Task A_prefix_range_returns_exactly_the_keys_under_it()
    {
        var prefix = UniquePrefix();
        await Etcd.PutAsync(prefix + "a", "http://10.0.0.1:1");
        await Etcd.PutAsync(prefix + "b", "värde ünïcode");
        await Etcd.PutAsync(prefix[..^1] + "x", "outside");

        var range = await Etcd.GetPrefixAsync(prefix);

        Assert.Equal([(prefix + "a", "http://10.0.0.1:1"), (prefix + "b", "värde ünïcode")],
            range.Items.Select(kv => (kv.Key, kv.Value)));
        Assert.True(range.Revision > 0);

        await Etcd.DeleteAsync(prefix + "a");
        Assert.Equal([prefix + "b"], (await Etcd.GetPrefixAsync(prefix)).Items.Select(kv => kv.Key));
    }

    [Fact]
    public async Task A_key_under_a_lease_lives_while_kept_alive_and_goes_when_it_expires()
    {
        var key = UniquePrefix() + "instance";
        var lease = await Etcd.GrantLeaseAsync(TimeSpan.FromSeconds(2));
        await Etcd.PutAsync(key, "http://127.0.0.1:1", lease);

        for (var i = 0; i < 4; i++)
        {
            await Task.Delay(700);
            Assert.True(await Etcd.KeepAliveAsync(lease) > TimeSpan.Zero);
        }

        Assert.Single((await Etcd.GetPrefixAsync(key)).Items);
        await ApiClient.EventuallyAsync(async () => (await Etcd.GetPrefixAsync(key)).Items.Count == 0,
            "the key to go with its lease", TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.Zero, await Etcd.KeepAliveAsync(lease));
    }

    [Fact]
    public async Task Revoking_a_lease_removes_its_keys_at_once()
    {
        var key = UniquePrefix() + "instance";
        var lease = await Etcd.GrantLeaseAsync(TimeSpan.FromSeconds(60));
        await Etcd.PutAsync(key, "http://127.0.0.1:1", lease);

        await Etcd.RevokeLeaseAsync(lease);

        Assert.Empty((await Etcd.GetPrefixAsync(key)).Items);
    }

    [Fact]
    public async Task A_watch_from_a_revision_sees_every_later_put_and_delete_under_the_prefix()
    {
        var prefix = UniquePrefix();
        await Etcd.PutAsync(prefix + "before", "1");
        var start = (await Etcd.GetPrefixAsync(prefix)).Revision + 1;
        await Etcd.PutAsync(prefix + "a", "2");
        await Etcd.PutAsync(prefix[..^1] + "-elsewhere", "ignored");

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var seen = new List<EtcdWatchEvent>();
        await foreach (var change in Etcd.WatchPrefixAsync(prefix, start, timeout.Token))
        {
            seen.Add(change);
            if (seen.Count == 1) await Etcd.DeleteAsync(prefix + "before");
            if (seen.Count == 2) break;
        }

        Assert.Equal([(EtcdEventType.Put, prefix + "a", "2"), (EtcdEventType.Delete, prefix + "before", "")],
            seen.Select(e => (e.Type, e.Key, e.Value)));
    }

    [Fact]
    public async Task An_unreachable_etcd_fails_with_HttpRequestException()
    {
        var client = new EtcdClient(new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ServerProcess.FreePort()}") });

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetPrefixAsync("/livemicro/"));
    }
}
