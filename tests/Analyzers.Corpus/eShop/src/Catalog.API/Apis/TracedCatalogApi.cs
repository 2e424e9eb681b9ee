using Microsoft.AspNetCore.Mvc;
using TracedLlm;

namespace eShop.Catalog.API;

/// <summary>A semantic search body: the text to embed and the page wanted.</summary>
public sealed record SemanticSearchRequest(string Text, int PageSize = 10, int PageIndex = 0);

/// <summary>
/// The catalog routes that call the embedding model, traced: each is the existing handler, and the
/// model call in CatalogAI is the request's attempt. (The hosting, not part of this corpus,
/// registers CatalogServices as a scoped service and calls LlmCall.EnableCurrent().)
/// </summary>
public static class TracedCatalogApi
{
    [TracedLlmRoute("POST", "/api/catalog/items/semantic-search")]
    public static async Task<IResult> SemanticSearch(SemanticSearchRequest request, LlmCall call, [FromServices] CatalogServices services) =>
        await CatalogApi.GetItemsBySemanticRelevance(new PaginationRequest(request.PageSize, request.PageIndex), services, request.Text);

    [TracedLlmRoute("PUT", "/api/catalog/items/{id}")]
    public static async Task<IResult> UpdateItem(CatalogItem productToUpdate, LlmCall call, [FromServices] CatalogServices services)
    {
        if (!int.TryParse(call.HttpContext.Request.RouteValues["id"] as string, out var id))
        {
            throw new InvalidLlmRequestException("The item id must be a number.");
        }

        return await CatalogApi.UpdateItem(call.HttpContext, id, services, productToUpdate);
    }

    [TracedLlmRoute("POST", "/api/catalog/items")]
    public static async Task<IResult> CreateItem(CatalogItem product, LlmCall call, [FromServices] CatalogServices services) =>
        await CatalogApi.CreateItem(services, product);
}
