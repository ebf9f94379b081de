namespace JobHub.Web.Accounts;

/// <summary>
/// Set by the account page while (and once) it deletes its own account: the deletion changes the security stamp, so the
/// circuit's next check signs it out mid-way, and the redirect that follows must land where the page was going.
/// </summary>
public sealed class DeletionInCircuit
{
    public const string Landing = "/account/deleted";

    public bool Deleting { get; set; }
}
