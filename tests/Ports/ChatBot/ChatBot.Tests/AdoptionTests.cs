using TracedLlm.Tests;

namespace ChatBot.Tests;

/// <summary>The lines the ChatBot port changed, as docs/porting.md counts them, and its snippet there.</summary>
public sealed class AdoptionTests()
    : PortAdoptionTests("ChatBot", "tests/Ports/ChatBot", packages: 1, "OpenAi/OpenAiService.cs", "Program.cs");
