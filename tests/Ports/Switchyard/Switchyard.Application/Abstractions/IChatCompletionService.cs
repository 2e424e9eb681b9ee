using Switchyard.Application.Chat;
using Switchyard.Domain;

namespace Switchyard.Application.Abstractions;

/// <summary>Asks one model for a completion (Infrastructure knows which provider serves it).</summary>
public interface IChatCompletionService
{
    /// <exception cref="ProviderUnavailableException">The provider could not answer now; another model may.</exception>
    Task<ChatCompletion> CompleteAsync(ChatCompletionCommand command, string model, CancellationToken cancellationToken);
}
