namespace Webhooks.API.IntegrationEvents;

public record OrderStockItem(int ProductId, int Units);
