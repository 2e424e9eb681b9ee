using System.Text;

namespace TracedLlm.ReverseProxy.Tests;

/// <summary>
/// Response bodies in the shapes OpenAI and Anthropic send them (fields as their APIs document, values made up).
/// </summary>
internal static class WireSamples
{
    public const string ChatCompletion = """
        {"id":"chatcmpl-abc","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini-2024-07-18",
         "choices":[{"index":0,"message":{"role":"assistant","content":"Hello \"there\" \u00e9\n\ud83d\ude00",
             "refusal":null},"logprobs":null,"finish_reason":"stop"}],
         "usage":{"prompt_tokens":12,"completion_tokens":6,"total_tokens":18,
             "prompt_tokens_details":{"cached_tokens":0}},"system_fingerprint":"fp_1"}
        """;

    public static readonly string ChatStream = string.Concat(
        "data: "
            + "{\"id\":\"chatcmpl-s1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o-mini\","
            + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
            + "\"finish_reason\":null}]}\n\n",
        "data: "
            + "{\"id\":\"chatcmpl-s1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o-mini\","
            + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n",
        "data: "
            + "{\"id\":\"chatcmpl-s1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o-mini\","
            + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}]}\n\n",
        "data: "
            + "{\"id\":\"chatcmpl-s1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o-mini\","
            + "\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"total_tokens\":11}}\n\n",
        "data: [DONE]\n\n");

    public const string AnthropicMessage = """
        {"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-20250514",
         "content":[{"type":"text","text":"Hi there"},{"type":"tool_use","id":"toolu_1","name":"get",
             "input":{"text":"not output"}}],
         "stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":21,"cache_creation_input_tokens":0,
             "cache_read_input_tokens":0,"output_tokens":7}}
        """;

    public static readonly string AnthropicStream = string.Concat(
        "event: message_start\ndata: "
            + "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_s1\",\"type\":\"message\",\"role\":\"assistant\","
            + "\"model\":\"claude-sonnet-4\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":25,"
            + "\"output_tokens\":1}}}\n\n",
        "event: content_block_start\ndata: "
        + "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
        "event: ping\ndata: {\"type\": \"ping\"}\n\n",
        "event: content_block_delta\ndata: "
        + "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\n",
        "event: content_block_delta\ndata: "
        + "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" "
        + "world\"}}\n\n",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
        "event: message_delta\ndata: "
            + "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\",\"stop_sequence\":null},"
            + "\"usage\":{\"output_tokens\":15}}\n\n",
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");

    public const string Response = """
        {"id":"resp_1","object":"response","created_at":1,"status":"incomplete",
            "incomplete_details":{"reason":"max_output_tokens"},"error":null,
         "model":"gpt-4.1","output":[{"type":"message","id":"msg_1","status":"incomplete","role":"assistant",
             "content":[{"type":"output_text","text":"Partial","annotations":[]}]}],
         "usage":{"input_tokens":30,"input_tokens_details":{"cached_tokens":0},"output_tokens":16,
             "output_tokens_details":{"reasoning_tokens":0},"total_tokens":46}}
        """;

    public static readonly string ResponseStream = string.Concat(
        "event: response.created\ndata: "
            + "{\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_s1\","
            + "\"object\":\"response\",\"status\":\"in_progress\",\"model\":\"gpt-4.1\",\"output\":[],"
            + "\"usage\":null}}\n\n",
        "event: response.output_text.delta\ndata: "
            + "{\"type\":\"response.output_text.delta\",\"sequence_number\":1,\"item_id\":\"msg_1\",\"output_index\":0,"
            + "\"content_index\":0,\"delta\":\"Hi\"}\n\n",
        "event: response.output_text.delta\ndata: "
            + "{\"type\":\"response.output_text.delta\",\"sequence_number\":2,\"item_id\":\"msg_1\",\"output_index\":0,"
            + "\"content_index\":0,\"delta\":\" you\"}\n\n",
        "event: response.function_call_arguments.delta\ndata: "
            + "{\"type\":\"response.function_call_arguments.delta\",\"sequence_number\":3,\"item_id\":\"fc_1\","
            + "\"output_index\":1,\"delta\":\"{\\\"a\\\":1}\"}\n\n",
        "event: response.completed\ndata: "
            + "{\"type\":\"response.completed\",\"sequence_number\":4,\"response\":{\"id\":\"resp_s1\","
            + "\"object\":\"response\",\"status\":\"completed\",\"model\":\"gpt-4.1\",\"output\":[],"
            + "\"usage\":{\"input_tokens\":11,\"output_tokens\":3,\"total_tokens\":14}}}\n\n");

    // Prompt caching and reasoning, in the providers' documented usage shapes.

    /// <summary>
    /// Anthropic, a cache hit: <c>input_tokens</c> is only the input after the last cache breakpoint.
    /// </summary>
    public const string AnthropicCachedMessage = """
        {"id":"msg_c1","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929",
         "content":[{"type":"text","text":"From the manual: reset it."}],"stop_reason":"end_turn","stop_sequence":null,
         "usage":{"input_tokens":14,"cache_creation_input_tokens":0,"cache_read_input_tokens":2186,
             "cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":9,
             "service_tier":"standard"}}
        """;

    /// <summary>
    /// Anthropic streamed, a cache write: the counts come in message_start, and message_delta repeats them with the
    /// final output.
    /// </summary>
    public static readonly string AnthropicCachedStream = string.Concat(
        "event: message_start\ndata: "
            + "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_c2\",\"type\":\"message\",\"role\":\"assistant\","
            + "\"model\":\"claude-sonnet-4-5-20250929\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,"
            + "\"usage\":{\"input_tokens\":3,\"cache_creation_input_tokens\":1854,\"cache_read_input_tokens\":0,"
            + "\"cache_creation\":{\"ephemeral_5m_input_tokens\":1854,\"ephemeral_1h_input_tokens\":0},"
            + "\"output_tokens\":1,\"service_tier\":\"standard\"}}}\n\n",
        "event: content_block_start\ndata: "
        + "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
        "event: content_block_delta\ndata: "
        + "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Cached.\"}}\n\n",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
        "event: message_delta\ndata: "
            + "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},"
            + "\"usage\":{\"input_tokens\":3,\"cache_creation_input_tokens\":1854,\"cache_read_input_tokens\":0,"
            + "\"output_tokens\":27}}\n\n",
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");

    /// <summary>OpenAI chat, a cached prompt: <c>cached_tokens</c> is part of <c>prompt_tokens</c>.</summary>
    public const string ChatCachedCompletion = """
        {"id":"chatcmpl-c1","object":"chat.completion","created":1700000000,"model":"gpt-4o-2024-08-06",
         "choices":[{"index":0,"message":{"role":"assistant","content":"Reset it.","refusal":null,"annotations":[]},
             "logprobs":null,"finish_reason":"stop"}],
         "usage":{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,
             "prompt_tokens_details":{"cached_tokens":1920,"audio_tokens":0},
             "completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,
                 "rejected_prediction_tokens":0}},
         "service_tier":"default","system_fingerprint":"fp_c1"}
        """;

    /// <summary>
    /// OpenAI chat streamed with <c>stream_options.include_usage</c>: the last chunk's usage, with its details.
    /// </summary>
    public static readonly string ChatCachedStream = string.Concat(
        "data: "
            + "{\"id\":\"chatcmpl-c2\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
            + "\"content\":\"Reset\"},\"finish_reason\":null}],\"usage\":null}\n\n",
        "data: "
            + "{\"id\":\"chatcmpl-c2\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],"
            + "\"usage\":null}\n\n",
        "data: "
            + "{\"id\":\"chatcmpl-c2\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"gpt-4o-2024-08-06\",\"choices\":[],\"usage\":{\"prompt_tokens\":1536,"
            + "\"completion_tokens\":2,\"total_tokens\":1538,\"prompt_tokens_details\":{\"cached_tokens\":1408,"
            + "\"audio_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0,"
            + "\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}}\n\n",
        "data: [DONE]\n\n");

    /// <summary>A reasoning model's chat answer: <c>reasoning_tokens</c> is part of <c>completion_tokens</c>.</summary>
    public const string ChatReasoningCompletion = """
        {"id":"chatcmpl-r1","object":"chat.completion","created":1700000000,"model":"o3-mini-2025-01-31",
         "choices":[{"index":0,"message":{"role":"assistant","content":"42","refusal":null,"annotations":[]},
             "finish_reason":"stop"}],
         "usage":{"prompt_tokens":75,"completion_tokens":1186,"total_tokens":1261,
             "prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},
             "completion_tokens_details":{"reasoning_tokens":1024,"audio_tokens":0,"accepted_prediction_tokens":0,
                 "rejected_prediction_tokens":0}},
         "service_tier":"default","system_fingerprint":"fp_r1"}
        """;

    /// <summary>The Responses API, a reasoning model with a cached prompt.</summary>
    public const string ResponseCachedReasoning = """
        {"id":"resp_r1","object":"response","created_at":1,"status":"completed","incomplete_details":null,"error":null,
         "model":"o4-mini-2025-04-16","output":[{"type":"reasoning","id":"rs_1","summary":[]},
             {"type":"message","id":"msg_r1","status":"completed","role":"assistant",
                 "content":[{"type":"output_text","text":"Done","annotations":[]}]}],
         "usage":{"input_tokens":3072,"input_tokens_details":{"cached_tokens":2944},"output_tokens":610,
             "output_tokens_details":{"reasoning_tokens":576},"total_tokens":3682}}
        """;

    /// <summary>The Responses API streamed: the usage with its details arrives in response.completed.</summary>
    public static readonly string ResponseCachedReasoningStream = string.Concat(
        "event: response.created\ndata: "
            + "{\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_r2\","
            + "\"object\":\"response\",\"status\":\"in_progress\",\"model\":\"o4-mini-2025-04-16\",\"output\":[],"
            + "\"usage\":null}}\n\n",
        "event: response.output_text.delta\ndata: "
            + "{\"type\":\"response.output_text.delta\",\"sequence_number\":1,\"item_id\":\"msg_r2\","
            + "\"output_index\":1,\"content_index\":0,\"delta\":\"Done\"}\n\n",
        "event: response.completed\ndata: "
            + "{\"type\":\"response.completed\",\"sequence_number\":2,\"response\":{\"id\":\"resp_r2\","
            + "\"object\":\"response\",\"status\":\"completed\",\"model\":\"o4-mini-2025-04-16\",\"output\":[],"
            + "\"usage\":{\"input_tokens\":3072,\"input_tokens_details\":{\"cached_tokens\":2944},"
            + "\"output_tokens\":610,\"output_tokens_details\":{\"reasoning_tokens\":576},"
            + "\"total_tokens\":3682}}}\n\n");

    // The service tier each API states: OpenAI's chat on every chunk, its Responses API on the response
    // (response.created echoes the request's tier, response.completed states the one served), Anthropic in usage.

    /// <summary>OpenAI chat streamed at priority: every chunk names the tier.</summary>
    public static readonly string ChatPriorityStream = string.Concat(
        "data: "
            + "{\"id\":\"chatcmpl-p1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"gpt-4o-2024-08-06\",\"service_tier\":\"priority\",\"choices\":[{\"index\":0,"
            + "\"delta\":{\"role\":\"assistant\",\"content\":\"Fast\"},\"finish_reason\":null}]}\n\n",
        "data: "
            + "{\"id\":\"chatcmpl-p1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"gpt-4o-2024-08-06\",\"service_tier\":\"priority\",\"choices\":[{\"index\":0,\"delta\":{},"
            + "\"finish_reason\":\"stop\"}]}\n\n",
        "data: "
            + "{\"id\":\"chatcmpl-p1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"gpt-4o-2024-08-06\",\"service_tier\":\"priority\",\"choices\":[],"
            + "\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":1,\"total_tokens\":9}}\n\n",
        "data: [DONE]\n\n");

    /// <summary>OpenAI chat answered at priority.</summary>
    public const string ChatPriorityCompletion = """
        {"id":"chatcmpl-p2","object":"chat.completion","created":1700000000,"model":"gpt-4o-2024-08-06",
         "choices":[{"index":0,"message":{"role":"assistant","content":"Fast"},"finish_reason":"stop"}],
         "usage":{"prompt_tokens":8,"completion_tokens":1,"total_tokens":9},"service_tier":"priority",
             "system_fingerprint":"fp_p"}
        """;

    /// <summary>The Responses API answered at flex.</summary>
    public const string ResponseFlex = """
        {"id":"resp_f1","object":"response","created_at":1,"status":"completed","incomplete_details":null,"error":null,
            "service_tier":"flex",
         "model":"o4-mini-2025-04-16","output":[{"type":"message","id":"msg_f1","status":"completed","role":"assistant",
             "content":[{"type":"output_text","text":"Slow","annotations":[]}]}],
         "usage":{"input_tokens":5,"output_tokens":1,"total_tokens":6}}
        """;

    /// <summary>The Responses API streamed: asked for auto, served at flex.</summary>
    public static readonly string ResponseFlexStream = string.Concat(
        "event: response.created\ndata: "
            + "{\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_f2\","
            + "\"object\":\"response\",\"status\":\"in_progress\",\"service_tier\":\"auto\","
            + "\"model\":\"o4-mini-2025-04-16\",\"output\":[],\"usage\":null}}\n\n",
        "event: response.output_text.delta\ndata: "
            + "{\"type\":\"response.output_text.delta\",\"sequence_number\":1,\"item_id\":\"msg_f2\","
            + "\"output_index\":0,\"content_index\":0,\"delta\":\"Slow\"}\n\n",
        "event: response.completed\ndata: "
            + "{\"type\":\"response.completed\",\"sequence_number\":2,\"response\":{\"id\":\"resp_f2\","
            + "\"object\":\"response\",\"status\":\"completed\",\"service_tier\":\"flex\","
            + "\"model\":\"o4-mini-2025-04-16\",\"output\":[],\"usage\":{\"input_tokens\":5,\"output_tokens\":1,"
            + "\"total_tokens\":6}}}\n\n");

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
