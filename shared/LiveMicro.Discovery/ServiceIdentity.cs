namespace LiveMicro.Discovery;

/// <summary>Who this process is in the registry.</summary>
public sealed record ServiceIdentity(string ServiceName, string InstanceId);
