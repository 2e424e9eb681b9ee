namespace AICentral;

public class OTelConfig
{
    public bool? Transmit { get; init; }
    public bool? AddClientNameTag { get; init; }
}