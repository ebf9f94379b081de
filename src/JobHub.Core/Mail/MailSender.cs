using MailKit.Net.Smtp;
using Microsoft.Extensions.Options;
using MimeKit;

namespace JobHub.Core.Mail;

/// <summary>Sends one message through the configured SMTP server (MailKit), one connection per message: mails are rare.</summary>
public sealed class MailSender(IOptions<MailOptions> options)
{
    public async Task SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!settings.Configured)
        {
            throw new MailNotSentException("no SMTP server is configured (JobHub:Mail:Host)");
        }

        message.From.Clear();
        message.From.Add(MailboxAddress.Parse(settings.From));
        using var client = new SmtpClient { Timeout = (int)settings.Timeout.TotalMilliseconds };
        await client.ConnectAsync(settings.Host!, settings.Port, settings.Security, cancellationToken);
        if (!string.IsNullOrEmpty(settings.User))
        {
            await client.AuthenticateAsync(settings.User, settings.Password ?? "", cancellationToken);
        }

        await client.SendAsync(message, cancellationToken);
        await client.DisconnectAsync(quit: true, cancellationToken);
    }
}

public sealed class MailNotSentException(string message) : Exception(message);
