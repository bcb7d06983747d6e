namespace LiveMicro.Media;

public static class Placeholder
{
    public static int Value => System.IO.Pipelines.PipeOptions.Default.MinimumSegmentSize;
}
