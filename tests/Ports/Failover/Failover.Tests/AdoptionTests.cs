using TracedLlm.Tests;

namespace Failover.Tests;

/// <summary>The lines the Failover port changed as docs/porting.md's shape 1 counts them; its snippet.</summary>
public sealed class AdoptionTests()
    : PortAdoptionTests("Failover", "## Shape 1", packages: 1, "Program.cs", "Providers/FailoverClient.cs");
