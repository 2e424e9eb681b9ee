namespace Failover.Api.Providers;

/// <summary>The gateway's own errors, in OpenAI's shape, so clients' OpenAI SDKs read them.</summary>
public static class Errors
{
    public static IResult BadRequest(string message) => Error(400, message, "invalid_request_error");

    public static IResult Error(int status, string message, string type) =>
        Results.Json(new { error = new { message, type } }, statusCode: status);
}
