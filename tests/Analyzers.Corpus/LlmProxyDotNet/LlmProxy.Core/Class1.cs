namespace LlmProxy.Core;

public class Class1
{

}
