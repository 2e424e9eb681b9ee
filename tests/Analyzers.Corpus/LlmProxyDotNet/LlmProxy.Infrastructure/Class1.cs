namespace LlmProxy.Infrastructure;

public class Class1
{

}
