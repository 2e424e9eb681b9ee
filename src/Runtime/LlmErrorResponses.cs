namespace TracedLlm;

/// <summary>
/// How a traced route's pipeline writes the errors it answers itself: a refused or cut-off body, authentication, a
/// guardrail's block, timeouts, upstream failures (docs/handlers.md, "The app's error format").
/// </summary>
/// <remarks>
/// With <see cref="Host"/>, which of them ASP.NET Core answers as before adoption. Errors a handler answers with its
/// own result are never rewritten.
/// </remarks>
public enum LlmErrorResponses
{
    /// <summary>
    /// On a route: <see cref="TracedLlmOptions.ErrorResponses"/>. In the options: <see cref="WireFormat"/>.
    /// </summary>
    Default = 0,

    /// <summary>
    /// The route's wire format: OpenAI's or Anthropic's error JSON (<see cref="TracedLlm.WireFormat"/>).
    /// </summary>
    WireFormat = 1,

    /// <summary>
    /// RFC 7807 problem details (<c>application/problem+json</c>) with <c>status</c>, <c>title</c>, <c>detail</c> and
    /// the error's <c>code</c>.
    /// </summary>
    /// <remarks>
    /// Written through ASP.NET Core's <c>IProblemDetailsService</c> when the app registers it
    /// (<c>AddProblemDetails()</c>: its customizations and its <c>traceId</c> apply), else in the same shape by the
    /// pipeline itself.
    /// </remarks>
    ProblemDetails = 2,

    /// <summary>The app's own <see cref="ILlmErrorWriter"/>, registered in DI.</summary>
    Writer = 3,

    /// <summary>ASP.NET Core answers as before adoption; the pipeline's own errors are problem details.</summary>
    /// <remarks>
    /// A body the handler's type cannot bind gets minimal APIs' answer (400 or 415 with no body, or their
    /// <c>BadHttpRequestException</c> under <c>RouteHandlerOptions.ThrowOnBadRequest</c>); an exception the
    /// handler lets escape reaches the app's exception handling (<c>UseExceptionHandler</c>) or the server's
    /// 500. Each is recorded once, with the status the host answered. The errors only the pipeline gives (a
    /// body read two ways, limits, authentication, guardrails, timeouts, failures from <c>LlmCall.ExecuteAsync</c>)
    /// are written as <see cref="ProblemDetails"/> writes them: ASP.NET Core's own error shape
    /// (docs/handlers.md, "The app's error format").
    /// </remarks>
    Host = 4,
}
