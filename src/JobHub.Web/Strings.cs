namespace JobHub.Web;

/// <summary>The marker of JobHub's UI text: <c>Resources/Strings.resx</c> (pt-BR, the default) and <c>Strings.en.resx</c>.</summary>
public sealed class Strings;
