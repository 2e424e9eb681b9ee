using Microsoft.Extensions.Options;
using Switchyard.Application.Abstractions;
using Switchyard.Domain;

namespace Switchyard.Infrastructure.Catalog;

/// <summary>The models offered, each with its fallbacks, from configuration (<c>Models:Fallbacks:{model}</c>).</summary>
public sealed class ModelCatalogOptions
{
    public const string Section = "Models";

    public Dictionary<string, string[]> Fallbacks { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

public sealed class ConfiguredModelCatalog(IOptions<ModelCatalogOptions> options) : IModelCatalog
{
    public IReadOnlyList<string> FallbackChainFor(string model) =>
        options.Value.Fallbacks.TryGetValue(model, out var fallbacks)
            ? [model, .. fallbacks]
            : throw new UnknownModelException(model);
}
