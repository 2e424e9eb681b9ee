namespace TracedLlm.Generators;

/// <summary>The names of the generator's pipeline steps, asserted by the incrementality tests.</summary>
internal static class TrackingNames
{
    public const string Routes = nameof(Routes);
    public const string Models = nameof(Models);
    public const string Diagnostics = nameof(Diagnostics);
    public const string RouteKeys = nameof(RouteKeys);
    public const string RouteTable = nameof(RouteTable);
    public const string RuntimeReferenced = nameof(RuntimeReferenced);
    public const string TrackedContract = nameof(TrackedContract);
    public const string ContractDrift = nameof(ContractDrift);
}
