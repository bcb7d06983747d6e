namespace LiveMicro.Media.Tests.Support;

/// <summary>
/// Seeded mutation of known-good vectors. The seed comes from LIVEMICRO_FUZZ_SEED when set (to replay or explore),
/// otherwise from the test's own fixed seed, and every failure message carries it.
/// </summary>
internal static class Fuzz
{
    private static readonly byte[] InterestingBytes = [0x00, 0x01, 0x02, 0x03, 0x05, 0x07, 0x08, 0x09, 0x0A, 0x0C, 0x3F, 0x40, 0x7F, 0x80, 0xC0, 0xC3, 0xFE, 0xFF];

    public static int Seed(int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable("LIVEMICRO_FUZZ_SEED"), out var seed) ? seed : fallback;

    /// <summary>
    /// Runs <paramref name="parse"/> on <paramref name="iterations"/> mutants. Exceptions of type <typeparamref name="TExpected"/>
    /// are clean refusals; anything else, or allocating more than <paramref name="allocationBudget"/> for an input, fails the test.
    /// </summary>
    public static void Run<TExpected>(int seed, int iterations, IReadOnlyList<byte[]> corpus, Action<byte[]> parse, Func<int, long> allocationBudget)
        where TExpected : Exception
    {
        var random = new Random(seed);
        for (var iteration = 0; iteration < iterations; iteration++)
        {
            var input = Mutate(random, corpus[random.Next(corpus.Count)]);
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                parse(input);
            }
            catch (TExpected)
            {
            }
            catch (Exception exception)
            {
                Assert.Fail($"Seed {seed}, iteration {iteration}: {exception.GetType().Name} escaped for input {Convert.ToHexString(input.AsSpan(0, Math.Min(input.Length, 512)))}: {exception}");
            }

            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            var budget = allocationBudget(input.Length);
            Assert.True(allocated <= budget, $"Seed {seed}, iteration {iteration}: allocated {allocated} bytes for a {input.Length}-byte input (budget {budget}).");
        }
    }

    public static byte[] Mutate(Random random, byte[] original)
    {
        var bytes = new List<byte>(original);
        var edits = 1 + random.Next(4);
        for (var edit = 0; edit < edits; edit++)
        {
            if (bytes.Count == 0)
            {
                bytes.Add(InterestingBytes[random.Next(InterestingBytes.Length)]);
                continue;
            }

            var at = random.Next(bytes.Count);
            switch (random.Next(7))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes[at] = InterestingBytes[random.Next(InterestingBytes.Length)];
                    break;
                case 2:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 3:
                    bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + random.Next(16)));
                    break;
                case 4:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 5:
                    bytes.Insert(at, InterestingBytes[random.Next(InterestingBytes.Length)]);
                    break;
                default:
                    var length = Math.Min(bytes.Count - at, 1 + random.Next(32));
                    bytes.InsertRange(random.Next(bytes.Count), bytes.GetRange(at, length));
                    break;
            }
        }

        return [.. bytes];
    }
}
