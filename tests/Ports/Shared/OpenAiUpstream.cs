using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace TracedLlm.Tests;

/// <summary>An upstream that checks chat completion requests as OpenAI's API does before it answers them.</summary>
/// <remarks>
/// A body that is not a JSON object, a missing <c>model</c> or <c>messages</c>, a <c>metadata</c> that is not an
/// object or a <c>stream</c> that is not a boolean get OpenAI's 400; a property given twice is read as its last
/// value. Requests to other paths are answered as they come.
/// </remarks>
internal static class OpenAiUpstream
{
    /// <summary>Starts one on every path; a chat completion it passes is answered with the stub's completion.</summary>
    public static Task<UpstreamStub> StartAsync() =>
        UpstreamStub.StartAtAsync(null, Checked(UpstreamStub.Reply.Status(200)));

    /// <summary>Checks the request, then answers it with <paramref name="answer"/>.</summary>
    public static UpstreamReply Checked(UpstreamReply answer) => async (stub, context, streaming) =>
    {
        var received = (UpstreamRequest)context.Items[typeof(UpstreamRequest)]!;
        var chat = received.Path.EndsWith("/chat/completions", StringComparison.Ordinal);
        if (chat && Refusal(received.Body) is { } refusal)
        {
            context.Response.StatusCode = 400;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(refusal);
            return;
        }

        await answer(stub, context, streaming);
    };

    private static string? Refusal(string body)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(body);
            root = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return Error("We could not parse the JSON body of your request.", null, null);
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            return Error("The request body must be a JSON object.", null, "invalid_type");
        }

        if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.String)
        {
            return Error("You must provide a model parameter.", "model", null);
        }

        if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            return Error("Missing required parameter: 'messages'.", "messages", "missing_required_parameter");
        }

        if (root.TryGetProperty("metadata", out var metadata) && metadata.ValueKind != JsonValueKind.Object)
        {
            return Error("Invalid type for 'metadata': expected an object.", "metadata", "invalid_type");
        }

        if (root.TryGetProperty("stream", out var stream)
            && stream.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            return Error("Invalid type for 'stream': expected a boolean.", "stream", "invalid_type");
        }

        return null;
    }

    private static string Error(string message, string? param, string? code) =>
        JsonSerializer.Serialize(new { error = new { message, type = "invalid_request_error", param, code } });
}
