namespace LiveMicro.ServiceDefaults.Health;

public static class HealthTags
{
    /// <summary>The process runs; restart it if not.</summary>
    public const string Live = "live";

    /// <summary>The process can serve: the stores it really uses answer.</summary>
    public const string Ready = "ready";
}
