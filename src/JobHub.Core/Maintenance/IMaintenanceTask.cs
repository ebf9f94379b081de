namespace JobHub.Core.Maintenance;

/// <summary>
/// One scheduled sweep. Sweeps back the rules up; they never are the rules' only path. Each must be
/// idempotent: it changes jobs only through the engine's conditional transitions, so two instances running
/// it at once, or a run repeated, change nothing more than one run would.
/// </summary>
public interface IMaintenanceTask
{
    /// <summary>Stable key (schedule configuration, run history, the dashboard's actions).</summary>
    string Key { get; }

    /// <summary>What the sweep does, in a line, for the admin dashboard.</summary>
    string Description { get; }

    /// <summary>Runs once and returns what it did, counted (e.g. checked, completed, failed).</summary>
    Task<MaintenanceCounts> RunAsync(CancellationToken cancellationToken);
}

/// <summary>What a sweep run did, by name; stored with the run as JSON.</summary>
public sealed class MaintenanceCounts : Dictionary<string, int>
{
    public void Tally(string name, int count = 1) => this[name] = this.GetValueOrDefault(name) + count;
}
