using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using TracedLlm;
using Switchyard.Api.Filters;
using Switchyard.Api.Middleware;
using Switchyard.Application;
using Switchyard.Infrastructure;
using Switchyard.Infrastructure.OpenRouter;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddApplication();
builder.Services.AddInfrastructure(builder.Configuration);
builder.Services.AddHttpClient(OpenRouterChatService.ClientName)
    .AddTracedLlmAttempts(o => o.ProviderName = "openrouter");
builder.Services.AddProblemDetails();
builder.Services.AddScoped<PromptLimitFilter>();
builder.Services.AddControllers()
    .AddTracedLlm(options => options.ErrorResponses = LlmErrorResponses.ProblemDetails);

builder.Services.AddOpenTelemetry()
    .ConfigureResource(resource => resource.AddService("switchyard"))
    .WithTracing(tracing =>
    {
        tracing.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddTracedLlm();
        if (builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] is not null)
        {
            tracing.AddOtlpExporter();
        }
    });

var app = builder.Build();

app.UseMiddleware<ExceptionHandlingMiddleware>();
app.MapControllers();

app.Run();

public partial class Program;
