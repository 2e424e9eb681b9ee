using System.Text.Json;
using System.Text.Json.Serialization;
using ChatBot.Api.OpenAi;
using ChatBot.Api.OpenAi.Extensions;
using ChatBot.Api.OpenAi.Models;
using Microsoft.AspNetCore.Http.Json;
using TracedLlm;

var builder = WebApplication.CreateBuilder(args);
builder.Services.Configure<JsonOptions>(
	options => options.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase)));
builder.Services.AddOpenAi();
builder.Services.AddCors();
builder.Services.AddTracedLlm(options => options.ErrorResponses = LlmErrorResponses.Host);
builder.Services.AddHttpClient(OpenAiService.ClientName).AddTracedLlmAttempts();

var app = builder.Build();

app.MapTracedLlmRoutes();

app.UseCors(builder => builder
	.AllowAnyOrigin()
	.AllowAnyMethod()
	.AllowAnyHeader()
	.SetIsOriginAllowed(_ => true));

app.Run();

internal static class Routes
{
	[TracedLlmRoute("POST", "/completions")]
	public static async Task<CompletionResponseModel> Complete(CompletionRequestModel request, OpenAiService service)
	{
		return await service.CompleteAsync(request);
	}
}