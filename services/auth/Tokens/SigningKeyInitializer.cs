namespace LiveMicro.Auth.Tokens;

/// <summary>Creates the first signing key before the service listens (after the migrations have run).</summary>
public sealed class SigningKeyInitializer(SigningKeys keys) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => keys.InitializeAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
