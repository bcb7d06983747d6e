namespace LiveMicro.Media.Tests;

public class PlaceholderTests
{
    [Fact]
    public void Works() => Assert.True(Placeholder.Value > 0);
}
