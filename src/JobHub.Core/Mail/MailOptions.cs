using System.ComponentModel.DataAnnotations;
using MailKit.Security;

namespace JobHub.Core.Mail;

/// <summary>
/// The SMTP server JobHub sends its account mails through (section <c>JobHub:Mail</c>). No host: nothing can be sent,
/// each mail fails (and the page says so); start-up logs a warning.
/// </summary>
public sealed class MailOptions : IValidatableObject
{
    public const string Section = "JobHub:Mail";

    public string? Host { get; set; }

    [Range(1, 65535)]
    public int Port { get; set; } = 587;

    /// <summary>MailKit's choice: <c>None</c>, <c>Auto</c>, <c>StartTls</c>, <c>StartTlsWhenAvailable</c>, <c>SslOnConnect</c>.</summary>
    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.StartTls;

    /// <summary>SMTP sign-in; none when empty.</summary>
    public string? User { get; set; }

    public string? Password { get; set; }

    /// <summary>The sender, an address or <c>Name &lt;address&gt;</c>.</summary>
    [Required(AllowEmptyStrings = false)]
    public string From { get; set; } = "JobHub <no-reply@jobhub.local>";

    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    public bool Configured => !string.IsNullOrWhiteSpace(Host);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!MimeKit.MailboxAddress.TryParse(From, out _))
        {
            yield return new ValidationResult($"Mail:From '{From}' is not an e-mail address (address or Name <address>).");
        }

        if (!string.IsNullOrEmpty(User) && string.IsNullOrEmpty(Password))
        {
            yield return new ValidationResult("Mail:User is set but Mail:Password is empty.");
        }
    }
}
