namespace AICentral.RateLimiting;

public enum RateLimitingMetricType
{
    Requests,
    Tokens
}