namespace Switchyard.Application.Abstractions;

/// <summary>The models the gateway offers, and the fallback chain behind each.</summary>
public interface IModelCatalog
{
    /// <summary>The model first, then the models to fall back on, in order.</summary>
    /// <exception cref="Domain.UnknownModelException">The gateway does not offer the model.</exception>
    IReadOnlyList<string> FallbackChainFor(string model);
}
