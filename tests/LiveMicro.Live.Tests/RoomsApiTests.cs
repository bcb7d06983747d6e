using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LiveMicro.Contracts;
using LiveMicro.Testing;

namespace LiveMicro.Live.Tests;

[Collection(LiveCollection.Name)]
public sealed class RoomsApiTests(LiveFixture fixture)
{
    private async Task<(SignedInUser Anchor, JsonNode Room)> OpenRoomAsync(string title = "Chess night")
    {
        var anchor = await fixture.Auth.RegisterAndLoginAsync(displayName: "Zhang San");
        var response = await fixture.Live.SendAsync(HttpMethod.Post, "/api/rooms", anchor.AccessToken,
            new { title, category = "games", coverUrl = "https://cdn.example/cover.png" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (anchor, await response.ReadJsonAsync());
    }

    private Task<HttpResponseMessage> AuthorizeAsync(string streamKey) =>
        fixture.Live.PostAsJsonAsync("/internal/streams/authorize", new { streamKey });

    [Fact]
    public async Task Creating_a_room_answers_the_push_url_split_for_obs_and_the_playback_urls()
    {
        var (anchor, room) = await OpenRoomAsync();

        var key = room["push"]!["streamKey"]!.GetValue<string>();
        var stream = room["streamName"]!.GetValue<string>();
        Assert.Equal("rtmp://media.example:1935/live", room["push"]!["server"]!.GetValue<string>());
        Assert.Equal($"rtmp://media.example:1935/live/{key}", room["push"]!["url"]!.GetValue<string>());
        Assert.True(key.Length >= 32, "the key carries at least 128 random bits");
        Assert.Equal($"https://play.example/live/{stream}.flv", room["playback"]!["flv"]!.GetValue<string>());
        Assert.Equal($"https://play.example/live/{stream}/index.m3u8", room["playback"]!["hls"]!.GetValue<string>());
        Assert.Equal($"rtmp://media.example:1935/live/{stream}", room["playback"]!["rtmp"]!.GetValue<string>());
        Assert.DoesNotContain(key, room["playback"]!.ToJsonString());
        Assert.Equal("offline", room["status"]!.GetValue<string>());
        Assert.Equal("Zhang San", room["anchorName"]!.GetValue<string>());
        Assert.Equal(anchor.Id, room["anchorId"]!.GetValue<long>());
    }

    [Fact]
    public async Task Creating_a_second_room_returns_the_open_one()
    {
        var (anchor, room) = await OpenRoomAsync();

        var again = await fixture.Live.SendAsync(HttpMethod.Post, "/api/rooms", anchor.AccessToken, new { title = "Other", category = "x" });

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(room["id"]!.GetValue<long>(), (await again.ReadJsonAsync())["id"]!.GetValue<long>());
        var usersRoom = await (await fixture.Live.GetAsync($"/api/users/{anchor.Id}/room")).ReadJsonAsync();
        Assert.Equal(room["id"]!.GetValue<long>(), usersRoom["id"]!.GetValue<long>());
    }

    [Fact]
    public async Task Creating_a_room_with_bad_fields_returns_400_naming_them()
    {
        var anchor = await fixture.Auth.RegisterAndLoginAsync();

        var response = await fixture.Live.SendAsync(HttpMethod.Post, "/api/rooms", anchor.AccessToken,
            new { title = new string('t', 61), category = "", coverUrl = "ftp://x" });

        var errors = (await response.AssertProblemAsync(HttpStatusCode.BadRequest))["errors"]!.AsObject();
        Assert.NotNull(errors["title"]);
        Assert.NotNull(errors["category"]);
        Assert.NotNull(errors["coverUrl"]);
    }

    [Fact]
    public async Task Creating_a_room_needs_a_signed_in_user()
    {
        var response = await fixture.Live.PostAsJsonAsync("/api/rooms", new { title = "t", category = "c" });

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task The_stream_key_is_shown_only_to_the_owner()
    {
        var (anchor, room) = await OpenRoomAsync();
        var id = room["id"]!.GetValue<long>();
        var viewer = await fixture.Auth.RegisterAndLoginAsync();

        var asOwner = await (await fixture.Live.SendAsync(HttpMethod.Get, $"/api/rooms/{id}", anchor.AccessToken)).ReadJsonAsync();
        var asViewer = await (await fixture.Live.SendAsync(HttpMethod.Get, $"/api/rooms/{id}", viewer.AccessToken)).ReadJsonAsync();
        var asGuest = await (await fixture.Live.GetAsync($"/api/rooms/{id}")).ReadJsonAsync();

        Assert.Equal(room["push"]!["streamKey"]!.GetValue<string>(), asOwner["push"]!["streamKey"]!.GetValue<string>());
        Assert.Null(asViewer["push"]);
        Assert.Null(asGuest["push"]);
    }

    [Fact]
    public async Task The_media_server_authorizes_the_key_and_learns_the_public_stream_name()
    {
        var (_, room) = await OpenRoomAsync();

        var response = await AuthorizeAsync(room["push"]!["streamKey"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.ReadJsonAsync();
        Assert.Equal(room["id"]!.GetValue<long>(), body["roomId"]!.GetValue<long>());
        Assert.Equal(room["streamName"]!.GetValue<string>(), body["streamName"]!.GetValue<string>());
        await (await AuthorizeAsync("live_not-a-key")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await AuthorizeAsync(room["streamName"]!.GetValue<string>())).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Rotating_the_stream_key_retires_the_old_one_and_revokes_its_publisher()
    {
        var (anchor, room) = await OpenRoomAsync();
        var id = room["id"]!.GetValue<long>();
        var oldKey = room["push"]!["streamKey"]!.GetValue<string>();

        var rotated = await (await fixture.Live.SendAsync(HttpMethod.Post, $"/api/rooms/{id}/stream-key", anchor.AccessToken)).ReadJsonAsync();
        var newKey = rotated["push"]!["streamKey"]!.GetValue<string>();

        Assert.NotEqual(oldKey, newKey);
        await (await AuthorizeAsync(oldKey)).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.OK, (await AuthorizeAsync(newKey)).StatusCode);
        await StreamAssert.EventuallyOnStreamAsync(fixture.RedisConnectionString, nameof(PublishingRevoked),
            body => body["roomId"]!.GetValue<long>() == id && body["reason"]!.GetValue<string>() == "stream key rotated");
    }

    [Fact]
    public async Task Only_the_owner_ends_a_room_and_an_ended_room_refuses_its_key()
    {
        var (anchor, room) = await OpenRoomAsync();
        var id = room["id"]!.GetValue<long>();
        var other = await fixture.Auth.RegisterAndLoginAsync();

        await (await fixture.Live.SendAsync(HttpMethod.Post, $"/api/rooms/{id}/end", other.AccessToken)).AssertProblemAsync(HttpStatusCode.Forbidden);
        await (await fixture.Live.SendAsync(HttpMethod.Post, "/api/rooms/987654321/end", anchor.AccessToken)).AssertProblemAsync(HttpStatusCode.NotFound);

        var ended = await (await fixture.Live.SendAsync(HttpMethod.Post, $"/api/rooms/{id}/end", anchor.AccessToken)).ReadJsonAsync();

        Assert.Equal("ended", ended["status"]!.GetValue<string>());
        await (await AuthorizeAsync(room["push"]!["streamKey"]!.GetValue<string>())).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await fixture.Live.GetAsync($"/api/users/{anchor.Id}/room")).AssertProblemAsync(HttpStatusCode.NotFound);
        var reopened = await fixture.Live.SendAsync(HttpMethod.Post, "/api/rooms", anchor.AccessToken, new { title = "Again", category = "games" });
        Assert.Equal(HttpStatusCode.Created, reopened.StatusCode);
    }

    [Fact]
    public async Task A_room_goes_live_and_offline_from_the_media_servers_events_and_says_so()
    {
        var (_, room) = await OpenRoomAsync();
        var id = room["id"]!.GetValue<long>();
        var stream = room["streamName"]!.GetValue<string>();
        await StreamAssert.EventuallyOnStreamAsync(fixture.RedisConnectionString, nameof(RoomStatusChanged),
            body => body["roomId"]!.GetValue<long>() == id && body["status"]!.GetValue<string>() == "offline");

        await fixture.EventBus.PublishAsync(new StreamPublished(id, stream, "session-1", "rtmp", "h264", "aac"));
        await ApiClient.EventuallyAsync(async () => await StatusAsync(id) == "live", "the room goes live");

        // a late "unpublished" of an older session leaves the newer one live
        await fixture.EventBus.PublishAsync(new StreamPublished(id, stream, "session-2", "rtmp", "h264", "aac"));
        await fixture.EventBus.PublishAsync(new StreamUnpublished(id, stream, "session-1", "publisher left"));
        await Task.Delay(500);
        Assert.Equal("live", await StatusAsync(id));

        await fixture.EventBus.PublishAsync(new StreamUnpublished(id, stream, "session-2", "publisher left"));
        await ApiClient.EventuallyAsync(async () => await StatusAsync(id) == "offline", "the room goes offline");
        await StreamAssert.EventuallyOnStreamAsync(fixture.RedisConnectionString, nameof(RoomStatusChanged),
            body => body["roomId"]!.GetValue<long>() == id && body["status"]!.GetValue<string>() == "live");
    }

    [Fact]
    public async Task Live_rooms_are_listed_by_viewers_in_keyset_pages()
    {
        var ids = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            var (_, room) = await OpenRoomAsync($"Room {i}");
            var id = room["id"]!.GetValue<long>();
            ids.Add(id);
            await fixture.EventBus.PublishAsync(new StreamPublished(id, room["streamName"]!.GetValue<string>(), $"s{id}", "rtmp", null, null));
            for (var v = 0; v < i; v++)
            {
                await fixture.Live.PostAsJsonAsync($"/api/rooms/{id}/enter", new { guestId = $"guest-{id}-{v}" });
            }
        }

        foreach (var id in ids) await ApiClient.EventuallyAsync(async () => await StatusAsync(id) == "live", "rooms live");
        // the list reads the stored counts, refreshed a few times a second
        await ApiClient.EventuallyAsync(async () =>
        {
            var all = await ListAllAsync();
            return all.IndexOf(ids[2]) >= 0 && all.IndexOf(ids[2]) < all.IndexOf(ids[1]) && all.IndexOf(ids[1]) < all.IndexOf(ids[0]);
        }, "rooms ordered by viewers, across pages of one");
    }

    [Theory]
    [InlineData("status=unknown")]
    [InlineData("limit=0")]
    [InlineData("after=garbage")]
    public async Task A_bad_room_list_query_returns_400(string query)
    {
        await (await fixture.Live.GetAsync($"/api/rooms?{query}")).AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Entering_over_http_counts_a_viewer_once_until_they_leave_or_their_presence_lapses()
    {
        var (_, room) = await OpenRoomAsync();
        var id = room["id"]!.GetValue<long>();
        var user = await fixture.Auth.RegisterAndLoginAsync();

        var guest = await (await fixture.Live.PostAsJsonAsync($"/api/rooms/{id}/enter", new { })).ReadJsonAsync();
        await fixture.Live.SendAsync(HttpMethod.Post, $"/api/rooms/{id}/enter", user.AccessToken);
        var again = await (await fixture.Live.SendAsync(HttpMethod.Post, $"/api/rooms/{id}/enter", user.AccessToken)).ReadJsonAsync();
        Assert.Equal(2, again["viewerCount"]!.GetValue<long>());

        var left = await (await fixture.Live.PostAsJsonAsync($"/api/rooms/{id}/leave", new { guestId = guest["guestId"]!.GetValue<string>() })).ReadJsonAsync();
        Assert.Equal(1, left["viewerCount"]!.GetValue<long>());

        // the signed-in viewer never leaves: the presence lapses (1 s here) and a sweep drops it
        await ApiClient.EventuallyAsync(async () =>
            (await (await fixture.Live.GetAsync($"/api/rooms/{id}")).ReadJsonAsync())["viewerCount"]!.GetValue<long>() == 0,
            "the lapsed presence is swept");
    }

    [Fact]
    public async Task Entering_an_unknown_room_returns_404()
    {
        await (await fixture.Live.PostAsJsonAsync("/api/rooms/987654321/enter", new { })).AssertProblemAsync(HttpStatusCode.NotFound);
    }

    private async Task<string> StatusAsync(long id) =>
        (await (await fixture.Live.GetAsync($"/api/rooms/{id}")).ReadJsonAsync())["status"]!.GetValue<string>();

    private async Task<List<long>> ListAllAsync()
    {
        var ids = new List<long>();
        var url = "/api/rooms?status=live&limit=1";
        while (true)
        {
            var page = await (await fixture.Live.GetAsync(url)).ReadJsonAsync();
            ids.AddRange(page["items"]!.AsArray().Select(r => r!["id"]!.GetValue<long>()));
            if (page["next"] is not { } next) return ids;
            url = $"/api/rooms?status=live&limit=1&after={next.GetValue<string>()}";
        }
    }
}
