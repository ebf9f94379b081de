using JobHub.Core.Accounts;
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

    /// <summary>
    /// Everything wrong with a new password and its confirmation at once (each rule it breaks, and a mismatch), so one
    /// attempt shows all there is to fix; Identity checks the rules again when it stores the password.
    /// </summary>
    public static async Task<IReadOnlyList<string>> CheckAsync(IStringLocalizer<Strings> L, UserManager<JobHubUser> users, JobHubUser user,
        string password, string confirm)
    {
        var errors = new List<string>();
        foreach (var validator in users.PasswordValidators)
        {
            errors.AddRange((await validator.ValidateAsync(users, user, password)).Errors.Select(e => Error(L, e)));
        }

        if (password != confirm)
        {
            errors.Add(L["Register_Mismatch"]);
        }

        return errors.Distinct().ToList();
    }

    /// <summary>One of Identity's errors in the page's language (Identity's own English for one without a resource).</summary>
    public static string Error(IStringLocalizer<Strings> L, IdentityError error) =>
        L["Identity_" + error.Code] is { ResourceNotFound: false } text ? text.Value : error.Description;
}
