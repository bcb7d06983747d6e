using LiveMicro.ServiceDefaults.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LiveMicro.Interact.Tests;

[Collection(InteractCollection.Name)]
public sealed class ConnectionLimitTests(InteractFixture fixture)
{
    [Fact]
    public void The_open_file_limit_is_read_from_proc_limits()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(file,
            [
                "Limit                     Soft Limit           Hard Limit           Units     ",
                "Max processes             95581                95581                processes ",
                "Max open files            20000                20000                files     ",
            ]);
            Assert.Equal(20000, ConnectionLimits.ReadOpenFileLimit(file));
            File.WriteAllLines(file, ["Max open files            unlimited            unlimited            files     "]);
            Assert.Null(ConnectionLimits.ReadOpenFileLimit(file));
        }
        finally
        {
            File.Delete(file);
        }

        Assert.Null(ConnectionLimits.ReadOpenFileLimit("/no/such/file"));
        Assert.Equal(19_400, ConnectionLimits.ForOpenFileLimit(20_000));
        Assert.Equal(512, ConnectionLimits.ForOpenFileLimit(1024));
        Assert.Null(ConnectionLimits.ForOpenFileLimit(null));
    }

    [Fact]
    public void A_service_caps_its_connections_below_its_open_file_limit()
    {
        var kestrel = fixture.InteractA.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value;
        var expected = ConnectionLimits.ForOpenFileLimit(ConnectionLimits.ReadOpenFileLimit());
        Assert.NotNull(expected); // Linux: /proc/self/limits is there
        Assert.Equal(expected, kestrel.Limits.MaxConcurrentConnections);
    }
}
