namespace TracedLlm.Testing;

/// <summary>
/// The two-route gateway the TLLM1011 tests (generator diagnostics, code fix) share; <c>{|#n:…|}</c> marks each
/// route's location.
/// </summary>
internal static class ContractSources
{
    public const string Routes = """
        using TracedLlm;

        namespace Contoso;

        internal sealed class Body { public string? Model { get; set; } }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Body {|#0:Chat|}(Body body) => body;

            [TracedLlmRoute("POST", "/v1/messages")]
            public static Body {|#1:Messages|}(Body body) => body;
        }
        """;

    /// <summary><see cref="Routes"/> without the location markup, for a workspace document.</summary>
    public static string PlainRoutes =>
        Routes.Replace("{|#0:", string.Empty).Replace("{|#1:", string.Empty).Replace("|}", string.Empty);
}
