using Microsoft.Extensions.Logging;
using Switchyard.Application.Abstractions;
using Switchyard.Domain;

namespace Switchyard.Application.Chat;

/// <summary>Answers a completion from the first model of its fallback chain whose provider can.</summary>
public sealed partial class ChatOrchestrator(IChatCompletionService chat, IModelCatalog catalog, ILogger<ChatOrchestrator> logger)
{
    public async Task<ChatCompletion> CompleteAsync(ChatCompletionCommand command, CancellationToken cancellationToken)
    {
        var attempted = new List<string>();
        foreach (var model in catalog.FallbackChainFor(command.Model))
        {
            attempted.Add(model);
            try
            {
                return await chat.CompleteAsync(command, model, cancellationToken);
            }
            catch (ProviderUnavailableException unavailable)
            {
                LogFallingBack(logger, model, unavailable.StatusCode);
            }
        }

        throw new AllProvidersFailedException(command.Model, attempted);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The provider of {Model} is unavailable (status {Status}); falling back.")]
    private static partial void LogFallingBack(ILogger logger, string model, int? status);
}
