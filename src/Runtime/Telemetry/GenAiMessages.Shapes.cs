using System;
using System.Buffers;
using System.Text;
using System.Text.Json;

namespace TracedLlm.Telemetry;

/// <summary>
/// Each provider's message lists as the conventions' messages: OpenAI chat, Anthropic messages and OpenAI responses
/// (input and output).
/// </summary>
internal static partial class GenAiMessages
{
    /// <summary>
    /// OpenAI chat and Anthropic messages: <c>[{role, content, name?, tool_calls?, tool_call_id?}]</c>.
    /// </summary>
    private static void WriteChatMessages(Utf8JsonWriter w, JsonElement messages, Allowance allowance)
    {
        w.WriteStartArray();
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var role =
                message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String
                    ? r.GetString()!
                    : "user";
            w.WriteStartObject();
            w.WriteString("role", role == "developer" ? "system" : role);
            w.WriteStartArray("parts");
            if (role == "tool")
            {
                // OpenAI's tool answer: the call it answers, and what the tool said.
                WriteToolResponse(w, message, "tool_call_id", "content", allowance);
            }
            else
            {
                WriteOpenAiMessageParts(w, message, allowance);
            }

            w.WriteEndArray();
            WriteStringIf(w, "name", message, "name");
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    /// <summary>A chat message's content (a string or parts) and its tool calls.</summary>
    private static void WriteOpenAiMessageParts(Utf8JsonWriter w, JsonElement message, Allowance allowance)
    {
        if (message.TryGetProperty("reasoning_content", out var reasoning)
            && reasoning.ValueKind == JsonValueKind.String)
        {
            WriteText(w, "reasoning", reasoning.GetString(), allowance);
        }

        if (message.TryGetProperty("content", out var content))
        {
            WriteParts(w, content, allowance);
        }

        if (message.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
        {
            foreach (var call in calls.EnumerateArray())
            {
                if (call.ValueKind == JsonValueKind.Object
                    && call.TryGetProperty("function", out var function)
                    && function.ValueKind == JsonValueKind.Object)
                {
                    WriteToolCall(
                        w,
                        call,
                        "id",
                        function,
                        function.TryGetProperty("arguments", out var arguments) ? arguments : default,
                        allowance);
                }
            }
        }
    }

    /// <summary>
    /// Content as parts: a string is one text part; an array's blocks each a part (OpenAI, Anthropic and responses
    /// block types).
    /// </summary>
    private static void WriteParts(Utf8JsonWriter w, JsonElement content, Allowance allowance)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            WriteText(w, "text", content.GetString(), allowance);
            return;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        foreach (var block in content.EnumerateArray())
        {
            if (block.ValueKind == JsonValueKind.String)
            {
                WriteText(w, "text", block.GetString(), allowance);
                continue;
            }

            if (block.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var type =
                block.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            switch (type)
            {
                case "text" or "input_text" or "output_text":
                    WriteText(
                        w,
                        "text",
                        block.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String
                            ? text.GetString()
                            : null,
                        allowance);
                    break;
                case "thinking":
                    WriteText(
                        w,
                        "reasoning",
                        block.TryGetProperty("thinking", out var thinking) && thinking.ValueKind == JsonValueKind.String
                            ? thinking.GetString()
                            : null,
                        allowance);
                    break;
                case "refusal":
                    WriteText(
                        w,
                        "text",
                        block.TryGetProperty("refusal", out var refusal) && refusal.ValueKind == JsonValueKind.String
                            ? refusal.GetString()
                            : null,
                        allowance);
                    break;
                case "tool_use":
                    WriteToolCall(
                        w,
                        block,
                        "id",
                        block,
                        block.TryGetProperty("input", out var input) ? input : default,
                        allowance);
                    break;
                case "tool_result":
                    WriteToolResponse(w, block, "tool_use_id", "content", allowance);
                    break;
                case "image_url" or "input_image" or "image":
                    WriteMedia(w, block, "image", allowance);
                    break;
                case "input_audio":
                    WriteMedia(w, block, "audio", allowance);
                    break;
                default:
                    // A part the conventions do not name: its type only (its payload may be anything, of any size).
                    w.WriteStartObject();
                    w.WriteString("type", type ?? "unknown");
                    w.WriteEndObject();
                    break;
            }
        }
    }

    /// <summary>
    /// OpenAI responses' <c>input</c>: a string, or items (messages, function calls, function call outputs).
    /// </summary>
    private static void WriteResponsesInput(Utf8JsonWriter w, JsonElement input, Allowance allowance)
    {
        w.WriteStartArray();
        if (input.ValueKind == JsonValueKind.String)
        {
            WriteMessage(w, "user", null, input, allowance);
        }
        else
        {
            foreach (var item in input.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                var type =
                    item.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String
                        ? t.GetString()
                        : "message";
                if (type == "function_call")
                {
                    w.WriteStartObject();
                    w.WriteString("role", "assistant");
                    w.WriteStartArray("parts");
                    WriteToolCall(
                        w,
                        item,
                        "call_id",
                        item,
                        item.TryGetProperty("arguments", out var arguments) ? arguments : default,
                        allowance);
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
                else if (type == "function_call_output")
                {
                    w.WriteStartObject();
                    w.WriteString("role", "tool");
                    w.WriteStartArray("parts");
                    WriteToolResponse(w, item, "call_id", "output", allowance);
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
                else if (type == "message" && item.TryGetProperty("content", out var content))
                {
                    var role =
                        item.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String
                            ? r.GetString()!
                            : "user";
                    WriteMessage(w, role == "developer" ? "system" : role, null, content, allowance);
                }
            }
        }

        w.WriteEndArray();
    }

    /// <summary>
    /// OpenAI responses' <c>output</c> items as one output message, its finish reason from the status.
    /// </summary>
    private static void WriteResponsesOutput(
        Utf8JsonWriter w,
        JsonElement root,
        JsonElement output,
        Allowance allowance)
    {
        var calledTool = false;
        w.WriteStartArray();
        w.WriteStartObject();
        w.WriteString("role", "assistant");
        w.WriteStartArray("parts");
        foreach (var item in output.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object
                || !item.TryGetProperty("type", out var t)
                || t.ValueKind != JsonValueKind.String)
            {
                continue;
            }

            switch (t.GetString())
            {
                case "message" when item.TryGetProperty("content", out var content):
                    WriteParts(w, content, allowance);
                    break;
                case "function_call":
                    calledTool = true;
                    WriteToolCall(
                        w,
                        item,
                        "call_id",
                        item,
                        item.TryGetProperty("arguments", out var arguments) ? arguments : default,
                        allowance);
                    break;
                case "reasoning"
                    when item.TryGetProperty("summary", out var summary) && summary.ValueKind == JsonValueKind.Array:
                    foreach (var part in summary.EnumerateArray())
                    {
                        if (part.ValueKind == JsonValueKind.Object
                            && part.TryGetProperty("text", out var text)
                            && text.ValueKind == JsonValueKind.String)
                        {
                            WriteText(w, "reasoning", text.GetString(), allowance);
                        }
                    }

                    break;
            }
        }

        w.WriteEndArray();
        var status =
            root.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
        var incomplete =
            root.TryGetProperty("incomplete_details", out var details)
            && details.ValueKind == JsonValueKind.Object
            && details.TryGetProperty("reason", out var why)
            && why.ValueKind == JsonValueKind.String
                ? why.GetString()
                : null;
        w.WriteString(
            "finish_reason",
            calledTool ? "tool_call"
                : status == "failed" ? "error"
                : FinishReason(incomplete ?? status));
        w.WriteEndObject();
        w.WriteEndArray();
    }
}
