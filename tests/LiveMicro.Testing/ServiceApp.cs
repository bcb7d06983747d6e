using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LiveMicro.Testing;

/// <summary>One LiveMicro service in-process, configured to talk to the test collection's real servers.</summary>
public sealed class ServiceApp<TEntryPoint>(IReadOnlyDictionary<string, string?> settings,
    Action<IServiceCollection>? configureServices = null) : WebApplicationFactory<TEntryPoint> where TEntryPoint : class
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // UseSetting, not ConfigureAppConfiguration: services read their connection strings while Program.cs
        // registers them, before the factory's configuration callbacks would run.
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
        if (configureServices is not null) builder.ConfigureServices(configureServices);
    }

    /// <summary>Starts the app on real Kestrel at a free loopback port, over TLS with <paramref name="certificate"/>
    /// when one is given; its URL. The endpoint is set on Kestrel itself: <c>UseKestrel(port)</c> rewrites the server's
    /// addresses after the app has started binding them and throws when the bind wins that race
    /// (dotnet/aspnetcore#67714).</summary>
    public Uri StartOnLoopback(X509Certificate2? certificate = null)
    {
        var port = ServerProcess.FreePort();
        UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen =>
        {
            if (certificate is not null) listen.UseHttps(certificate);
        }));
        StartServer();
        return new Uri($"{(certificate is null ? "http" : "https")}://127.0.0.1:{port}");
    }
}
