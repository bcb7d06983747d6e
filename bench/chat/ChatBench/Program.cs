// Chat load generator, kept light so that it measures the server and not itself (see WebSocketClients.cs). Run it
// with DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 and pinned to one core (run.sh does): the socket engine's
// thread then does all receiving, no thread-pool hops.
//
// Usage:
//   idle|fanout <host> <port> <ws path> <send url> <connections> <messages/s> <seconds> <server pid> <label>
//     idle:   opens the connections in two halves and prints the server's RSS per connection (over the fresh process,
//             and the marginal cost of the second half), then closes them.
//     fanout: opens the connections, then sends R messages/s for S seconds into the room (interact: POST
//             /internal/push to room 1; node: POST /send), each carrying its Stopwatch timestamp; prints delivered
//             messages/s, p50/p99 latency, and the server's CPU.
//   premium interact=URL auth=URL rooms= viewers= gifts= pid= server-cpu=
//     a premium gift to every room (PremiumGiftBench.cs).
//   hotroom interact=URL auth=URL room= senders= poor= seconds= viewers= seed= pid= server-cpu= answers=FILE top-ups=FILE
//     gifts per second into one room with many senders, retries and wallets running dry (HotRoomBench.cs).
using LiveMicro.Bench.Chat;

switch (args.FirstOrDefault())
{
    case "idle" or "fanout":
        await FanoutBench.RunAsync(args);
        return 0;
    case "premium":
        return await PremiumGiftBench.RunAsync(new NamedArguments(args[1..]));
    case "hotroom":
        return await HotRoomBench.RunAsync(new NamedArguments(args[1..]));
    default:
        Console.Error.WriteLine("usage: idle|fanout ... | premium name=value... | hotroom name=value... (see Program.cs)");
        return 2;
}
