namespace LiveMicro.Discovery;

/// <summary>The layout of the registry in etcd: <c>/livemicro/services/{name}/{instance}</c> = the instance's
/// base URL, under a lease the instance keeps alive.</summary>
public static class ServiceRegistry
{
    public const string Prefix = "/livemicro/services/";

    public static string Key(string serviceName, string instanceId) => $"{Prefix}{serviceName}/{instanceId}";

    /// <summary>Splits a registry key into service and instance; false for keys of any other shape.</summary>
    public static bool TryParseKey(string key, out string serviceName, out string instanceId)
    {
        serviceName = instanceId = "";
        if (!key.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var rest = key.AsSpan(Prefix.Length);
        var slash = rest.IndexOf('/');
        if (slash <= 0 || slash == rest.Length - 1 || rest[(slash + 1)..].Contains('/')) return false;
        serviceName = rest[..slash].ToString();
        instanceId = rest[(slash + 1)..].ToString();
        return true;
    }
}
