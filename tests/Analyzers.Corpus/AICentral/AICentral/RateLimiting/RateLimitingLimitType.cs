namespace AICentral.RateLimiting;

public enum RateLimitingLimitType
{
    PerConsumer,
    PerAICentralEndpoint
}