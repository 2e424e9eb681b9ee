// src/LlmProxy.App/Controllers/ChatController.cs
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using LlmProxy.Core.Entities;
using LlmProxy.Core.Logging;
using LlmProxy.Core.Models.Dto;
using LlmProxy.Core.Providers;
using LlmProxy.Core.Router;
using LlmProxy.Infrastructure.Providers;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using TracedLlm;

namespace LlmProxy.App.Controllers;

/// <summary>
/// Chat completions as a traced route (was ChatController's action): the generated pipeline records
/// the request's spans and runs its failure path; each provider try is an attempt.
/// </summary>
public static class ChatController
{
    private static readonly JsonSerializerOptions _jsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull
    };

    [TracedLlmRoute("POST", "/v1/chat/completions")]
    public static async Task<IResult> CreateChatCompletion(
        ChatCompletionRequest request,
        LlmCall call,
        ILogger<ChatCompletionRequest> _logger,
        ILlmRouter _router,
        [FromServices] ProviderFactory _providerFactory,
        ILoggingService _loggingService)
    {
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        
        if (string.IsNullOrWhiteSpace(request.Model))
            return Results.BadRequest(new { error = "Missing required field: model" });
        
        if (request.Messages == null || !request.Messages.Any())
            return Results.BadRequest(new { error = "Missing required field: messages" });

        var apiKeyHash = call.HttpContext.Items["ApiKeyHash"] as string ?? "unknown";
        
        try
        {
            var provider = await _router.SelectProviderAsync(
                request.Model, _providerFactory.GetAll(), call.HttpContext.RequestAborted);

            if (request.Stream == true)
            {
                return await StreamWithProvider(call, _loggingService, request, provider, apiKeyHash, stopwatch);
            }
            else
            {
                var response = await _router.ExecuteWithFallback(
                    async (p, ct) =>
                    {
                        using var attempt = call.StartAttempt(new LlmTarget(p.ProviderName, request.Model));
                        var completion = await p.CreateChatCompletionAsync(request, ct);
                        attempt.Succeed();
                        return completion;
                    },
                    request.Model,
                    _providerFactory.GetAll(),
                    maxRetries: 2,
                    ct: call.HttpContext.RequestAborted);
                
                stopwatch.Stop();
                
                _ = _loggingService.LogRequestAsync(
                    apiKeyHash,
                    provider.ProviderName,
                    request.Model,
                    response.Model,
                    (int)stopwatch.ElapsedMilliseconds,
                    "success",
                    response,
                    isStreaming: false);
                
                return Results.Ok(response);
            }
        }
        catch (HttpRequestException httpEx)
        {
            stopwatch.Stop();
            _logger.LogWarning(httpEx, "HTTP error from provider");
            
            _ = _loggingService.LogRequestAsync(
                apiKeyHash,
                "unknown",
                request.Model,
                request.Model,
                (int)stopwatch.ElapsedMilliseconds,
                "error",
                error: httpEx);
            
            // Safe fallback for nullable StatusCode
            var statusCode = (int)(httpEx.StatusCode ?? HttpStatusCode.BadGateway);
            return Results.Json(new { error = "Provider error", message = httpEx.Message }, statusCode: statusCode);
        }
        catch (Exception ex)
        {
            stopwatch.Stop();
            _logger.LogError(ex, "Error processing chat completion");
            
            _ = _loggingService.LogRequestAsync(
                apiKeyHash,
                "unknown",
                request.Model,
                request.Model,
                (int)stopwatch.ElapsedMilliseconds,
                "error",
                error: ex);
            
            return Results.Json(new { error = "Bad Gateway", message = ex.Message }, statusCode: 502);
        }
    }

    private static async Task<IResult> StreamWithProvider(
        LlmCall call,
        ILoggingService _loggingService,
        ChatCompletionRequest request, 
        ILlmProvider provider, 
        string apiKeyHash,
        System.Diagnostics.Stopwatch stopwatch)
    {
        var Response = call.HttpContext.Response;
        Response.Headers.ContentType = "text/event-stream";
        Response.Headers.CacheControl = "no-cache";

        try
        {
            if (provider == null)
            {
                return Results.BadRequest(new { error = "Provider not found" });
            }

            var chunks = call.StreamAsync(new LlmTarget(provider.ProviderName, request.Model), LlmRetryPolicy.None,
                (attempt, ct) => provider.CreateChatCompletionStreamAsync(request, ct));
            await foreach (var chunk in chunks.WithCancellation(call.HttpContext.RequestAborted))
            {
                var json = JsonSerializer.Serialize(chunk, _jsonOptions);
                var data = $"data: {json}\n\n";
                var bytes = Encoding.UTF8.GetBytes(data);
                
                await Response.Body.WriteAsync(bytes, call.HttpContext.RequestAborted);
                await Response.Body.FlushAsync(call.HttpContext.RequestAborted);
            }

            var doneBytes = Encoding.UTF8.GetBytes("data: [DONE]\n\n");
            await Response.Body.WriteAsync(doneBytes, call.HttpContext.RequestAborted);

            stopwatch.Stop();

            _ = _loggingService.LogRequestAsync(
                apiKeyHash,
                provider.ProviderName,
                request.Model,
                request.Model,
                (int)stopwatch.ElapsedMilliseconds,
                "success",
                isStreaming: true);

            return Results.Empty;
        }
        catch (Exception ex)
        {
            stopwatch.Stop();
            _ = _loggingService.LogRequestAsync(
                apiKeyHash,
                provider?.ProviderName ?? "unknown",
                request.Model,
                request.Model,
                (int)stopwatch.ElapsedMilliseconds,
                "error",
                error: ex,
                isStreaming: true);
            throw;
        }
    }
}