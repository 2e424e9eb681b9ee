namespace Switchyard.Domain;

/// <summary>The base of the gateway's own failures.</summary>
public abstract class SwitchyardException(string message, Exception? innerException = null) : Exception(message, innerException);

/// <summary>The model asked for is not one the gateway offers.</summary>
public sealed class UnknownModelException(string model) : SwitchyardException($"The model '{model}' is not offered by this gateway.")
{
    public string Model { get; } = model;
}

/// <summary>A provider could not answer for a model: unreachable, overloaded or failing.</summary>
public sealed class ProviderUnavailableException(string model, int? statusCode, Exception? innerException = null)
    : SwitchyardException($"The provider of '{model}' is unavailable.", innerException)
{
    public string Model { get; } = model;

    public int? StatusCode { get; } = statusCode;
}

/// <summary>Every model of a fallback chain failed.</summary>
public sealed class AllProvidersFailedException(string model, IReadOnlyList<string> attempted)
    : SwitchyardException($"No provider could answer for '{model}' (tried {string.Join(", ", attempted)}).")
{
    public IReadOnlyList<string> Attempted { get; } = attempted;
}
