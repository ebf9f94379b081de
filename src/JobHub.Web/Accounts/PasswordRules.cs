using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Localization;

namespace JobHub.Web.Accounts;

public static class PasswordRules
{
    /// <summary>The password rules in force (Identity's options), shown before the first attempt.</summary>
    public static IEnumerable<string> Describe(IStringLocalizer<Strings> L, PasswordOptions password)
    {
        yield return L["Register_RuleLength", password.RequiredLength];
        if (password.RequireLowercase) yield return L["Register_RuleLower"];
        if (password.RequireUppercase) yield return L["Register_RuleUpper"];
        if (password.RequireDigit) yield return L["Register_RuleDigit"];
        if (password.RequireNonAlphanumeric) yield return L["Register_RuleSymbol"];
    }
}
