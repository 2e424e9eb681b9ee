using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace Failover.Api.Providers;

/// <summary>
/// Sends a chat completion to the first provider of the chain, and to the next one when a provider is unreachable,
/// rate-limited or failing; another error of a provider's (a 400 for the client's request) is the client's answer.
/// </summary>
public sealed class FailoverClient(IHttpClientFactory clients, IOptions<List<ProviderOptions>> providers,
    ILogger<FailoverClient> logger)
{
    public const string ClientName = "providers";

    public async Task<IResult> SendAsync(JsonObject body, CancellationToken cancellationToken)
    {
        var client = clients.CreateClient(ClientName);
        foreach (var provider in providers.Value)
        {
            body["model"] = provider.Model;
            using var request = new HttpRequestMessage(HttpMethod.Post, provider.BaseUrl + "/chat/completions")
            {
                Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", provider.ApiKey);

            HttpResponseMessage response;
            try
            {
                response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            }
            catch (HttpRequestException exception)
            {
                logger.LogWarning(exception, "{Provider} is unreachable; trying the next provider.", provider.Name);
                continue;
            }

            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                var contentType = response.Content.Headers.ContentType?.ToString() ?? "application/json";
                return Results.Stream(await response.Content.ReadAsStreamAsync(cancellationToken), contentType);
            }

            var error = await response.Content.ReadAsStringAsync(cancellationToken);
            response.Dispose();
            if (status is not (429 or >= 500))
            {
                return Results.Content(error, "application/json", Encoding.UTF8, status);
            }

            logger.LogWarning("{Provider} answered {Status}; trying the next provider.", provider.Name, status);
        }

        return Errors.Error(502, "Every provider failed.", "upstream_error");
    }
}
