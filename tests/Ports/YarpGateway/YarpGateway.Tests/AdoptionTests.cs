using TracedLlm.Tests;

namespace YarpGateway.Tests;

/// <summary>The lines the YarpGateway port changed as docs/porting.md's shape 2 counts them; its snippet.</summary>
public sealed class AdoptionTests() : PortAdoptionTests("YarpGateway", "## Shape 2", packages: 2, "Program.cs");
