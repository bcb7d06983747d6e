using System.Net;
using System.Net.Http.Json;
using LiveMicro.Interact.Wallets;
using LiveMicro.Testing;
using Microsoft.EntityFrameworkCore;

namespace LiveMicro.Interact.Tests;

[Collection(InteractCollection.Name)]
public sealed class GiftTests(InteractFixture fixture)
{
    private const long RoseId = 1;
    private const long GlowStickId = 2;
    private const long SportsCarId = 4;

    private Task<HttpResponseMessage> SendGiftAsync(SignedInUser sender, long roomId, long giftId, int count, string? key = null) =>
        fixture.Interact.SendAsync(HttpMethod.Post, $"/api/rooms/{roomId}/gifts", sender.AccessToken,
            new { giftId, count, idempotencyKey = key ?? Guid.NewGuid().ToString("N") });

    private async Task<(long Balance, long Revenue)> WalletAsync(SignedInUser user)
    {
        var wallet = await (await fixture.Interact.SendAsync(HttpMethod.Get, "/api/wallet", user.AccessToken)).ReadJsonAsync();
        return (wallet["balance"]!.GetValue<long>(), wallet["revenue"]!.GetValue<long>());
    }

    private Task<long> LedgerSumAsync(long userId, string kind) =>
        fixture.QueryAsync(db => db.LedgerEntries.Where(e => e.UserId == userId && e.Kind == kind).SumAsync(e => e.Amount));

    [Fact]
    public async Task The_catalogue_lists_the_seeded_gifts_with_integer_prices_and_levels()
    {
        var gifts = (await (await fixture.Interact.GetAsync("/api/gifts")).ReadJsonAsync()).AsArray();

        Assert.True(gifts.Count >= 5);
        var rose = gifts.Single(g => g!["id"]!.GetValue<long>() == RoseId)!;
        Assert.Equal("Rose", rose["name"]!.GetValue<string>());
        Assert.Equal(1, rose["price"]!.GetValue<long>());
        Assert.Equal("normal", rose["level"]!.GetValue<string>());
        Assert.StartsWith("https://", rose["imageUrl"]!.GetValue<string>());
        Assert.Contains(gifts, g => g!["level"]!.GetValue<string>() == "premium");
    }

    [Fact]
    public async Task Two_hundred_concurrent_gifts_from_a_wallet_that_affords_57_debit_exactly_57()
    {
        var anchor = await fixture.NewUserAsync();
        var sender = await fixture.NewUserAsync();
        var roomId = await fixture.CreateRoomAsync(anchor);
        // a glow stick costs 10: 575 coins afford 57 of them with 5 left over
        await fixture.TopUpAsync(sender, 575);

        var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => SendGiftAsync(sender, roomId, GlowStickId, 1)));

        Assert.Equal(57, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(143, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        Assert.Equal((5L, 0L), await WalletAsync(sender));
        Assert.Equal((0L, 570L), await WalletAsync(anchor));
        Assert.Equal(-570, await LedgerSumAsync(sender.Id, LedgerKinds.GiftSent));
        Assert.Equal(575, await LedgerSumAsync(sender.Id, LedgerKinds.TopUp));
        Assert.Equal(570, await LedgerSumAsync(anchor.Id, LedgerKinds.GiftReceived));
        Assert.Equal(57, await fixture.QueryAsync(db => db.GiftTransactions.CountAsync(t => t.SenderId == sender.Id)));
    }

    [Fact]
    public async Task The_same_idempotency_key_sent_ten_times_at_once_debits_once_and_answers_the_first_result()
    {
        var anchor = await fixture.NewUserAsync();
        var sender = await fixture.NewUserAsync();
        var roomId = await fixture.CreateRoomAsync(anchor);
        await fixture.TopUpAsync(sender, 100);

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => SendGiftAsync(sender, roomId, GlowStickId, 3, "same-key")));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        var bodies = await Task.WhenAll(responses.Select(r => r.ReadJsonAsync()));
        Assert.Single(bodies.Select(b => b["transactionId"]!.GetValue<long>()).Distinct());
        Assert.All(bodies, b => Assert.Equal(70, b["balance"]!.GetValue<long>()));
        Assert.Equal(9, responses.Count(r => r.Headers.TryGetValues("Idempotent-Replayed", out _)));
        Assert.Equal((70L, 0L), await WalletAsync(sender));

        var reused = await SendGiftAsync(sender, roomId, RoseId, 1, "same-key");
        await reused.AssertProblemAsync(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task A_gift_with_too_little_balance_returns_409_and_writes_nothing()
    {
        var anchor = await fixture.NewUserAsync();
        var sender = await fixture.NewUserAsync();
        var roomId = await fixture.CreateRoomAsync(anchor);
        await fixture.TopUpAsync(sender, 9);

        var problem = await (await SendGiftAsync(sender, roomId, GlowStickId, 1)).AssertProblemAsync(HttpStatusCode.Conflict);

        Assert.EndsWith("/insufficient-balance", problem["type"]!.GetValue<string>());
        Assert.Equal((9L, 0L), await WalletAsync(sender));
        Assert.Equal((0L, 0L), await WalletAsync(anchor));
        Assert.Equal(0, await fixture.QueryAsync(db => db.GiftTransactions.CountAsync(t => t.SenderId == sender.Id)));
        Assert.Equal(0, await LedgerSumAsync(anchor.Id, LedgerKinds.GiftReceived));
    }

    [Fact]
    public async Task Gifts_to_your_own_room_return_400_and_to_unknown_rooms_or_gifts_404()
    {
        var anchor = await fixture.NewUserAsync();
        var roomId = await fixture.CreateRoomAsync(anchor);
        await fixture.TopUpAsync(anchor, 100);

        await (await SendGiftAsync(anchor, roomId, RoseId, 1)).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await SendGiftAsync(anchor, 999_999, RoseId, 1)).AssertProblemAsync(HttpStatusCode.NotFound);
        var other = await fixture.NewUserAsync();
        await (await SendGiftAsync(other, roomId, 999, 1)).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal((100L, 0L), await WalletAsync(anchor));
    }

    [Fact]
    public async Task Bad_gift_and_top_up_requests_are_400_problems_naming_the_field()
    {
        var user = await fixture.NewUserAsync();

        var fraction = await fixture.Interact.PostAsync("/api/wallet/top-ups",
            new StringContent("""{"amount": 10.5, "idempotencyKey": "k"}""", System.Text.Encoding.UTF8, "application/json")
            { Headers = { } });
        Assert.Equal(HttpStatusCode.Unauthorized, fraction.StatusCode);

        var request = new HttpRequestMessage(HttpMethod.Post, "/api/wallet/top-ups")
        {
            Content = new StringContent("""{"amount": 10.5, "idempotencyKey": "k"}""", System.Text.Encoding.UTF8, "application/json"),
        }.WithBearer(user.AccessToken);
        await (await fixture.Interact.SendAsync(request)).AssertProblemAsync(HttpStatusCode.BadRequest);

        var negative = await fixture.Interact.SendAsync(HttpMethod.Post, "/api/wallet/top-ups", user.AccessToken,
            new { amount = -5, idempotencyKey = "k" });
        var problem = await negative.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["amount"]);

        var zeroCount = await fixture.Interact.SendAsync(HttpMethod.Post, "/api/rooms/1/gifts", user.AccessToken,
            new { giftId = 1, count = 0, idempotencyKey = "k" });
        Assert.NotNull((await zeroCount.AssertProblemAsync(HttpStatusCode.BadRequest))["errors"]!["count"]);
    }

    [Fact]
    public async Task A_top_up_repeated_with_its_idempotency_key_credits_once()
    {
        var user = await fixture.NewUserAsync();
        var body = new { amount = 250, idempotencyKey = "top-up-1" };

        var first = await fixture.Interact.SendAsync(HttpMethod.Post, "/api/wallet/top-ups", user.AccessToken, body);
        var second = await fixture.Interact.SendAsync(HttpMethod.Post, "/api/wallet/top-ups", user.AccessToken, body);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal((await first.ReadJsonAsync())["id"]!.GetValue<long>(), (await second.ReadJsonAsync())["id"]!.GetValue<long>());
        Assert.Equal((250L, 0L), await WalletAsync(user));
    }

    [Fact]
    public async Task A_normal_gift_is_pushed_to_its_room_and_a_premium_gift_to_every_room()
    {
        var anchor = await fixture.NewUserAsync();
        var otherAnchor = await fixture.NewUserAsync();
        var sender = await fixture.NewUserAsync();
        var roomId = await fixture.CreateRoomAsync(anchor);
        var otherRoomId = await fixture.CreateRoomAsync(otherAnchor);
        await fixture.TopUpAsync(sender, 2000);
        await using var inRoom = await ChatClient.ConnectAsync(fixture.UrlA, roomId);
        await using var elsewhere = await ChatClient.ConnectAsync(fixture.UrlB, otherRoomId);

        Assert.Equal(HttpStatusCode.Created, (await SendGiftAsync(sender, roomId, RoseId, 5)).StatusCode);
        var normal = await inRoom.NextAsync("gift");
        Assert.Equal(5, normal["count"]!.GetValue<int>());
        Assert.Equal(sender.Id, normal["senderId"]!.GetValue<long>());
        Assert.Equal($"Name of {sender.Username}", normal["senderName"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.Created, (await SendGiftAsync(sender, roomId, SportsCarId, 1)).StatusCode);
        var premium = await elsewhere.NextAsync("gift");
        Assert.Equal("premium", premium["level"]!.GetValue<string>());
        Assert.Equal(roomId, premium["roomId"]!.GetValue<long>());
        Assert.Equal($"Name of {anchor.Username}", premium["anchorName"]!.GetValue<string>());
        Assert.Equal($"Name of {sender.Username}", premium["senderName"]!.GetValue<string>());
        Assert.Equal("premium", (await inRoom.NextAsync("gift"))["level"]!.GetValue<string>());
        Assert.DoesNotContain(await elsewhere.DrainAsync(TimeSpan.FromMilliseconds(300)), m => m.Type == "gift");
    }
}
