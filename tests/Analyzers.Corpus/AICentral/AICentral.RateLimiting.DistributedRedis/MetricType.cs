namespace AICentral.RateLimiting.DistributedRedis;

public enum MetricType
{
    Tokens = 0,
    Requests = 1
}