using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LiveMicro.Discovery;

public sealed record EtcdKeyValue(string Key, string Value, long ModRevision, long Lease);

public enum EtcdEventType
{
    Put,
    Delete,
}

public sealed record EtcdWatchEvent(EtcdEventType Type, string Key, string Value, long ModRevision);

public sealed record EtcdRange(IReadOnlyList<EtcdKeyValue> Items, long Revision);

/// <summary>An answer from etcd that was not a success (the gateway's error body, or a watch cancelled by the
/// server, e.g. after a compaction).</summary>
public sealed class EtcdException(string message) : Exception(message);

/// <summary>etcd v3 through its JSON gateway (etcd 3.4: <c>/v3/kv/*</c>, <c>/v3/lease/*</c>, <c>/v3/watch</c>),
/// so no gRPC stack is needed. Keys and values travel base64-encoded; 64-bit numbers travel as strings.</summary>
public sealed class EtcdClient(HttpClient http)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.WriteAsString,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault,
    };

    public async Task PutAsync(string key, string value, long leaseId = 0, CancellationToken cancellationToken = default) =>
        await PostAsync<ResponseHeaderOnly>("/v3/kv/put",
            new PutRequest(Encode(key), Encode(value), leaseId), cancellationToken);

    /// <summary>Every key under <paramref name="prefix"/> and the store revision they were read at, from which a
    /// watch continues without missing a change.</summary>
    public async Task<EtcdRange> GetPrefixAsync(string prefix, CancellationToken cancellationToken = default)
    {
        var response = await PostAsync<RangeResponse>("/v3/kv/range",
            new RangeRequest(Encode(prefix), Encode(PrefixEnd(prefix))), cancellationToken);
        var items = (response.Kvs ?? []).Select(kv => new EtcdKeyValue(Decode(kv.Key), Decode(kv.Value), kv.ModRevision, kv.Lease)).ToList();
        return new EtcdRange(items, response.Header?.Revision ?? 0);
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken = default) =>
        await PostAsync<ResponseHeaderOnly>("/v3/kv/deleterange", new RangeRequest(Encode(key), null), cancellationToken);

    public async Task<long> GrantLeaseAsync(TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        var response = await PostAsync<LeaseResponse>("/v3/lease/grant",
            new LeaseGrantRequest((long)Math.Ceiling(ttl.TotalSeconds)), cancellationToken);
        return response.Id;
    }

    /// <summary>Renews a lease and answers the time it has left; zero when the lease has already expired.</summary>
    public async Task<TimeSpan> KeepAliveAsync(long leaseId, CancellationToken cancellationToken = default)
    {
        // the gateway maps the keepalive stream to one request and one {"result": ...} answer
        var response = await PostAsync<KeepAliveResponse>("/v3/lease/keepalive", new LeaseIdRequest(leaseId), cancellationToken);
        return TimeSpan.FromSeconds(Math.Max(0, response.Result?.Ttl ?? 0));
    }

    public async Task RevokeLeaseAsync(long leaseId, CancellationToken cancellationToken = default) =>
        await PostAsync<ResponseHeaderOnly>("/v3/lease/revoke", new LeaseIdRequest(leaseId), cancellationToken);

    /// <summary>The changes under <paramref name="prefix"/> from <paramref name="startRevision"/> on, as they
    /// happen. It ends only by cancellation or by throwing when the connection or the watch is lost.</summary>
    public async IAsyncEnumerable<EtcdWatchEvent> WatchPrefixAsync(string prefix, long startRevision,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var create = new WatchRequest(new WatchCreateRequest(Encode(prefix), Encode(PrefixEnd(prefix)), startRevision));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v3/watch") { Content = JsonContent.Create(create, options: Json) };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken), Encoding.UTF8);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0) continue;
            var message = JsonSerializer.Deserialize<WatchStreamMessage>(line, Json)
                          ?? throw new EtcdException("etcd sent an empty watch message");
            if (message.Error is { } error) throw new EtcdException($"etcd watch failed: {error.Message}");
            var result = message.Result ?? throw new EtcdException("etcd sent a watch message without a result");
            if (result.Canceled) throw new EtcdException($"etcd cancelled the watch: {result.CancelReason}");
            foreach (var change in result.Events ?? [])
            {
                var kv = change.Kv ?? throw new EtcdException("etcd sent a watch event without a key");
                yield return new EtcdWatchEvent(change.Type == "DELETE" ? EtcdEventType.Delete : EtcdEventType.Put,
                    Decode(kv.Key), Decode(kv.Value), kv.ModRevision);
            }
        }

        throw new EtcdException("etcd closed the watch stream");
    }

    private async Task<TResponse> PostAsync<TResponse>(string path, object body, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync(path, body, Json, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return await response.Content.ReadFromJsonAsync<TResponse>(Json, cancellationToken)
               ?? throw new EtcdException($"etcd answered {path} with an empty body");
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode) return;
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        throw new EtcdException($"etcd answered {(int)response.StatusCode}: {body}");
    }

    /// <summary>The smallest key greater than every key that starts with <paramref name="prefix"/>.</summary>
    private static string PrefixEnd(string prefix) => prefix[..^1] + (char)(prefix[^1] + 1);

    private static string? Encode(string? text) => text is null ? null : Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static string Decode(string? base64) => base64 is null ? "" : Encoding.UTF8.GetString(Convert.FromBase64String(base64));

    private sealed record PutRequest(string? Key, string? Value, long Lease);

    private sealed record RangeRequest(string? Key, [property: JsonPropertyName("range_end")] string? RangeEnd);

    private sealed record LeaseGrantRequest([property: JsonPropertyName("TTL")] long Ttl);

    private sealed record LeaseIdRequest([property: JsonPropertyName("ID")] long Id);

    private sealed record WatchRequest([property: JsonPropertyName("create_request")] WatchCreateRequest CreateRequest);

    private sealed record WatchCreateRequest(string? Key, [property: JsonPropertyName("range_end")] string? RangeEnd,
        [property: JsonPropertyName("start_revision")] long StartRevision);

    private sealed record ResponseHeader(long Revision);

    private sealed record ResponseHeaderOnly(ResponseHeader? Header);

    private sealed record KeyValue(string? Key, string? Value, [property: JsonPropertyName("mod_revision")] long ModRevision, long Lease);

    private sealed record RangeResponse(ResponseHeader? Header, List<KeyValue>? Kvs);

    private sealed record LeaseResponse([property: JsonPropertyName("ID")] long Id, [property: JsonPropertyName("TTL")] long Ttl);

    private sealed record KeepAliveResponse(LeaseResponse? Result);

    private sealed record WatchEvent(string? Type, KeyValue? Kv);

    private sealed record WatchResult(List<WatchEvent>? Events, bool Canceled,
        [property: JsonPropertyName("cancel_reason")] string? CancelReason);

    private sealed record WatchError(string? Message);

    private sealed record WatchStreamMessage(WatchResult? Result, WatchError? Error);
}
