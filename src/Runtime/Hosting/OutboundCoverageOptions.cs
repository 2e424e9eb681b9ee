using System.Collections.Generic;

namespace TracedLlm;

/// <summary>
/// How model requests sent inside a traced request but outside every upstream attempt are found and named.
/// </summary>
/// <remarks>
/// Every <c>HttpClient</c> send of the process is seen through System.Net.Http's diagnostic events
/// (<c>HttpHandlerDiagnosticListener</c>, a <c>new HttpClient()</c>'s as well as a factory client's). A
/// <c>POST</c> made while a traced request runs, outside its attempts, to an LLM operation's path on any
/// host (docs/configuration.md lists them), or to a host, path or named client declared here, is a
/// coverage gap: counted on <c>tracedllm.coverage.unattempted_requests</c> by host and operation, warned
/// once per host and operation with the calling code's location, and listed by the served manifest as
/// <c>unattemptedModelRequests</c>. The declarations take the names TLLM2006's <c>.editorconfig</c>
/// options take, so one list serves the build and the run.
/// </remarks>
public sealed class OutboundCoverageOptions
{
    /// <summary>
    /// Whether sends are watched at all (default true). Configuration key <c>TracedLlm:OutboundCoverage:Enabled</c>.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Named <c>IHttpClientFactory</c> clients whose every <c>POST</c> is a model request, as TLLM2006's
    /// <c>model_http_clients</c> declares them (<c>openai</c>, <c>anthropic</c>).
    /// </summary>
    public IList<string> ModelHttpClients { get; } = new List<string>();

    /// <summary>
    /// More model APIs, as TLLM2006's <c>model_urls</c> declares them: a host (<c>llm.internal.contoso.com</c>,
    /// its subdomains too) or, with a <c>/</c>, a path the address contains (<c>/v2/generate</c>).
    /// </summary>
    public IList<string> ModelUrls { get; } = new List<string>();
}
