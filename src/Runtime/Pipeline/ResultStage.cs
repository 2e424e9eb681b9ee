using System.ComponentModel;
using System.Text.Json.Serialization.Metadata;
using System.Threading;
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
    /// <summary>
    /// Writes a handler's typed result as JSON (status 200). A client that left, or a request
    /// timeout that passed, before this point fails the request; once started, the write is not
    /// cancelled (see <see cref="ServerSentEvents"/>: Kestrel would cut the connection mid-body).
    /// </summary>
    public static Task WriteAsync<T>(LlmCall call, T result, JsonTypeInfo<T> typeInfo)
    {
        call.HttpContext.RequestAborted.ThrowIfCancellationRequested();
        var response = call.HttpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        if (call.SerializedResult is { } serialized)
        {
            response.ContentType = "application/json";
            response.ContentLength = serialized.Length;
            return response.Body.WriteAsync(serialized, CancellationToken.None).AsTask();
        }

        return response.WriteAsJsonAsync(result, typeInfo, contentType: "application/json", CancellationToken.None);
    }

    /// <summary>Executes a handler's <see cref="IResult"/>.</summary>
    public static Task WriteAsync(LlmCall call, IResult result) => result.ExecuteAsync(call.HttpContext);
}
