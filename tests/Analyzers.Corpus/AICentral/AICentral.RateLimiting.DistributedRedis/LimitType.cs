namespace AICentral.RateLimiting.DistributedRedis;

public enum LimitType {
    PerConsumer = 0,
    PerAICentralEndpoint = 1
}
