namespace TracedLlm.Analyzers.Tests;

/// <summary>
/// The declarations every analyzer test source starts with: a small gateway's usings and shared types.
/// </summary>
internal static class Corpus
{
    public const string Header = """
        using System;
        using System.Collections.Generic;
        using System.Diagnostics;
        using System.Net.Http;
        using System.Net.Http.Json;
        using System.Text.Json;
        using System.Text.Json.Nodes;
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.AspNetCore.Http;
        using TracedLlm;

        namespace Contoso;

        internal sealed class ChatRequest
        {
            public string? Model { get; set; }
            public List<JsonObject>? Messages { get; set; }
        }

        internal sealed class MessagesRequest
        {
            public string? Model { get; set; }
            public List<JsonObject>? Messages { get; set; }
        }

        internal sealed class Reply { public string? Text { get; set; } }

        internal class HttpException : Exception { public HttpException(string message) : base(message) { } }

        internal static class Telemetry { public static readonly ActivitySource Source = new("Contoso"); }

        """;

    /// <summary>The source with CRLF line breaks, as a file saved on Windows.</summary>
    public static string Crlf(string source) => source
        .Replace("\r\n", "\n", System.StringComparison.Ordinal)
        .Replace("\n", "\r\n", System.StringComparison.Ordinal);
}
