namespace TracedLlm;

// LlmCall: who the authenticator says the caller is.
public sealed partial class LlmCall
{
    /// <summary>
    /// Who the caller is (key fingerprint and alias, user, team, organisation, end user) as the authenticator said
    /// (<see cref="AuthResult.Caller"/>).
    /// </summary>
    /// <remarks>
    /// Null before authentication, for a refused caller, on an open route, or when the authenticator named nobody.
    /// </remarks>
    public LlmCaller? Caller => Authentication.Trust == CallerTrust.Authenticated ? Authentication.Caller : null;
}
