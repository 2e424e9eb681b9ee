using TracedLlm.Tests;

namespace ChatService.Tests;

/// <summary>The lines the ChatService port changed as docs/porting.md's shape 4 counts them; its snippet.</summary>
public sealed class AdoptionTests() : PortAdoptionTests("ChatService", "## Shape 4", packages: 2, "Program.cs");
