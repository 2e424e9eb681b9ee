using System;

namespace TracedLlm;

/// <summary>
/// The LLM operations a request's path names, on any host, as the GenAI conventions name them
/// (<c>gen_ai.operation.name</c>): a bounded list, documented in docs/configuration.md ("Outbound
/// coverage"). Paths the providers' APIs and the servers that copy them (vLLM, LiteLLM, OpenRouter,
/// Ollama) answer generations on; a <c>GET</c> to the same paths is never a generation.
/// </summary>
internal static class ModelOperations
{
    /// <summary>The operation of a declared client's, host's or path's request whose path names none.</summary>
    public const string Other = "other";

    // Path endings, longest first where one ends another: OpenAI (and Azure's deployments), Anthropic, Ollama.
    private static readonly (string Ending, string Operation)[] Endings =
    [
        ("/chat/completions", "chat"),
        ("/completions", "text_completion"),
        ("/embeddings", "embeddings"),
        ("/responses", "chat"),
        ("/v1/messages", "chat"),
        ("/v1/complete", "text_completion"),
        ("/api/chat", "chat"),
        ("/api/generate", "text_completion"),
        ("/api/embed", "embeddings"),
    ];

    // Gemini's methods ride on the model's segment (models/gemini-2.0-flash:generateContent); Bedrock's follow
    // /model/{id}/.
    private static readonly (string Method, string Operation)[] Methods =
    [
        (":generateContent", "generate_content"),
        (":streamGenerateContent", "generate_content"),
        (":embedContent", "embeddings"),
        (":batchEmbedContents", "embeddings"),
    ];

    private static readonly (string Ending, string Operation)[] BedrockEndings =
    [
        ("/converse", "chat"),
        ("/converse-stream", "chat"),
        ("/invoke", "chat"),
        ("/invoke-with-response-stream", "chat"),
    ];

    /// <summary>The operation <paramref name="path"/> names, or null for a path that names none.</summary>
    public static string? Of(string path)
    {
        foreach (var (ending, operation) in Endings)
        {
            if (path.EndsWith(ending, StringComparison.OrdinalIgnoreCase))
            {
                return operation;
            }
        }

        var lastSegment = path.AsSpan(path.LastIndexOf('/') + 1);
        foreach (var (method, operation) in Methods)
        {
            if (lastSegment.EndsWith(method, StringComparison.OrdinalIgnoreCase) && lastSegment.Length > method.Length)
            {
                return operation;
            }
        }

        if (path.Contains("/model/", StringComparison.OrdinalIgnoreCase))
        {
            foreach (var (ending, operation) in BedrockEndings)
            {
                if (path.EndsWith(ending, StringComparison.OrdinalIgnoreCase))
                {
                    return operation;
                }
            }
        }

        return null;
    }
}
