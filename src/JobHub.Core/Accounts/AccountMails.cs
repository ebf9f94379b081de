using System.Net;
using MimeKit;

namespace JobHub.Core.Accounts;

/// <summary>What an account mail is for.</summary>
public enum AccountMailKind
{
    Confirmation,
    PasswordReset,

    /// <summary>Someone signed up with the address of an account that exists: its owner is told, and nobody else.</summary>
    AlreadyRegistered,
}

/// <summary>
/// The account mails, in the person's language (pt-BR unless they chose English at sign-up), as plain text and HTML.
/// Their words live here rather than in the pages' resources: Core sends them, from a background job with no request culture.
/// </summary>
public static class AccountMails
{
    private sealed record Words(string Subject, string Greeting, string Body, string Action, string Ignore);

    private static readonly Dictionary<(AccountMailKind, bool English), Words> Texts = new()
    {
        [(AccountMailKind.Confirmation, false)] = new("Confirme seu e-mail no JobHub", "Olá!",
            "Para confirmar este endereço e receber seus créditos de boas-vindas do JobHub, abra o link abaixo.",
            "Confirmar meu e-mail", "Se você não criou uma conta no JobHub, ignore esta mensagem."),
        [(AccountMailKind.Confirmation, true)] = new("Confirm your JobHub e-mail", "Hello!",
            "To confirm this address and receive your JobHub welcome credits, open the link below.",
            "Confirm my e-mail", "If you did not create a JobHub account, ignore this message."),
        [(AccountMailKind.PasswordReset, false)] = new("Redefinir sua senha do JobHub", "Olá!",
            "Alguém (esperamos que você) pediu para redefinir a senha da sua conta do JobHub. O link abaixo vale por um dia e uma só vez.",
            "Escolher uma nova senha", "Se não foi você, ignore esta mensagem: sua senha continua a mesma."),
        [(AccountMailKind.PasswordReset, true)] = new("Reset your JobHub password", "Hello!",
            "Someone (we hope you) asked to reset your JobHub account's password. The link below works once, for one day.",
            "Choose a new password", "If it was not you, ignore this message: your password stays the same."),
        [(AccountMailKind.AlreadyRegistered, false)] = new("Você já tem uma conta no JobHub", "Olá!",
            "Alguém (talvez você) tentou criar uma conta no JobHub com este endereço, mas ele já tem uma. Entre com ela; se esqueceu a senha, escolha uma nova em \"Esqueceu a senha?\" na página de entrada.",
            "Entrar no JobHub", "Se não foi você, ignore esta mensagem: nada mudou na sua conta."),
        [(AccountMailKind.AlreadyRegistered, true)] = new("You already have a JobHub account", "Hello!",
            "Someone (perhaps you) tried to create a JobHub account with this address, but it already has one. Sign in with it; if you forgot the password, choose a new one with \"Forgot your password?\" on the sign-in page.",
            "Sign in to JobHub", "If it was not you, ignore this message: nothing changed in your account."),
    };

    public static bool IsEnglish(string? culture) => culture?.StartsWith("en", StringComparison.OrdinalIgnoreCase) == true;

    public static MimeMessage Compose(AccountMailKind kind, string culture, string to, string link)
    {
        var words = Texts[(kind, IsEnglish(culture))];
        var body = new BodyBuilder
        {
            TextBody = $"{words.Greeting}\n\n{words.Body}\n\n{words.Action}: {link}\n\n{words.Ignore}\n\n— JobHub\n",
            HtmlBody = $"""
                <!DOCTYPE html>
                <html lang="{(IsEnglish(culture) ? "en" : "pt-BR")}"><body style="font-family:sans-serif;line-height:1.5">
                <h1 style="font-size:20px">JobHub</h1>
                <p>{WebUtility.HtmlEncode(words.Greeting)}</p>
                <p>{WebUtility.HtmlEncode(words.Body)}</p>
                <p><a href="{WebUtility.HtmlEncode(link)}">{WebUtility.HtmlEncode(words.Action)}</a></p>
                <p style="font-size:12px">{WebUtility.HtmlEncode(link)}</p>
                <p>{WebUtility.HtmlEncode(words.Ignore)}</p>
                </body></html>
                """,
        };
        var message = new MimeMessage { Subject = words.Subject, Body = body.ToMessageBody() };
        message.To.Add(MailboxAddress.Parse(to));
        return message;
    }
}
