namespace AICentral.BulkHead;

public class BulkHeadConfiguration
{
    public int? MaxConcurrency { get; set; }
}