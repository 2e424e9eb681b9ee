namespace AICentral.Affinity;

public class SingleNodeAffinityConfig
{
    public TimeSpan? SlidingAffinityWindow { get; init; }
}