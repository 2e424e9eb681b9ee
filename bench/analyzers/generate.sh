#!/usr/bin/env bash
# Writes a gateway project with N traced routes (default 1000) into DIR: each route calls a helper
# that reads its own slot, starts a span with 'using', and throws a gateway exception on bad input,
# so every analyzer has work on every route.
set -euo pipefail
dir="${1:?usage: generate.sh DIR [ROUTES]}"
routes="${2:-1000}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
mkdir -p "$dir"
cat > "$dir/Routes.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk.Web">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>disable</ImplicitUsings>
    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
  </PropertyGroup>
  <ItemGroup>
    <ProjectReference Include="$root/src/Runtime/TracedLlm.csproj" />
    <ProjectReference Include="$root/src/Generators/TracedLlm.Generators.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
    <ProjectReference Include="$root/src/Analyzers/TracedLlm.Analyzers/TracedLlm.Analyzers.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
    <Analyzer Include="$root/src/Analyzers/TracedLlm.Analyzers/bin/\$(Configuration)/netstandard2.0/Microsoft.CodeAnalysis.AnalyzerUtilities.dll" />
  </ItemGroup>
</Project>
XML
cat > "$dir/Program.cs" <<'CS'
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using TracedLlm;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Services.AddTracedLlm();
var app = builder.Build();
app.MapTracedLlmRoutes();
app.Run();
CS
cat > "$dir/Shared.cs" <<'CS'
using System.Diagnostics;

namespace Bench;

public sealed class Request { public string? Model { get; set; } }

public sealed class Reply { public string? Text { get; set; } }

internal static class Telemetry { public static readonly ActivitySource Source = new("Bench"); }
CS
# A guardrail: traced code of every route, for the per-document bench's policy document.
cat > "$dir/Guardrail.cs" <<'CS'
using System.Threading;
using System.Threading.Tasks;
using TracedLlm;

namespace Bench;

public sealed class ModelGuardrail : ILlmGuardrail
{
    public string Name => "model";
    public GuardrailMode Modes => GuardrailMode.PreCall;
    public ValueTask<GuardrailVerdict> CheckAsync(GuardrailContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(context.Call.Model == "blocked" ? GuardrailVerdict.Block("model not allowed") : GuardrailVerdict.Allow);
}
CS
for ((i = 0; i < routes; i++)); do
  if ((i % 2 == 0)); then path="/v1/chat/r$i"; slot="metadata"; else path="/v1/messages/r$i"; slot="litellm_metadata"; fi
  cat > "$dir/Route$i.cs" <<CS
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading.Tasks;
using TracedLlm;

namespace Bench;

public static class Route$i
{
    [TracedLlmRoute("POST", "$path")]
    public static async Task<Reply> Handle(Request request, LlmCall call)
    {
        using var span = Telemetry.Source.StartActivity("work$i", ActivityKind.Internal, call.Span?.Context ?? default);
        await Task.Yield();
        return new Reply { Text = Helper$i.Read(call.HttpContext.Items) ?? request.Model ?? throw new InvalidLlmRequestException("model") };
    }
}

internal static class Helper$i
{
    public static string? Read(IDictionary<object, object?> items) => items.TryGetValue("$slot", out var value) ? value as string : null;
}
CS
done
echo "$routes routes in $dir"
