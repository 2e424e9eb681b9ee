using System.ComponentModel;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;

namespace TracedLlm.Pipeline;

/// <summary>
/// Writes a regular handler's result: a typed result as JSON (status 200, the bytes content capture
/// already serialized when there are any), or an <see cref="IResult"/> as it executes itself. It
/// runs after the LLM span has ended; a failure while writing goes to the failure path like any
/// other. For generated code only.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ResultStage
{
    /// <summary>Writes a handler's typed result as JSON (status 200).</summary>
    public static Task WriteAsync<T>(LlmCall call, T result, JsonTypeInfo<T> typeInfo)
    {
        var response = call.HttpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        if (call.SerializedResult is { } serialized)
        {
            response.ContentType = "application/json";
            response.ContentLength = serialized.Length;
            return response.Body.WriteAsync(serialized, call.HttpContext.RequestAborted).AsTask();
        }

        return response.WriteAsJsonAsync(result, typeInfo, contentType: "application/json", call.HttpContext.RequestAborted);
    }

    /// <summary>Executes a handler's <see cref="IResult"/>.</summary>
    public static Task WriteAsync(LlmCall call, IResult result) => result.ExecuteAsync(call.HttpContext);
}
