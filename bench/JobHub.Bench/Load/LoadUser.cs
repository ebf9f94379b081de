using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using JobHub.Simulator;
using JobHub.Web.Jobs;

namespace JobHub.Bench.Load;

/// <summary>
/// One simulated person over HTTP: signs in through the form, submits a job to the jobs API, follows it (heartbeats, a
/// check when it runs long, sometimes a cancel), then the next. A JobHub or database that is down only makes it retry:
/// a submission whose answer was lost is found again as the active job (R4 refuses a second one).
/// </summary>
public sealed class LoadUser(Uri baseAddress, string email, LoadPlan plan, LoadReport report, int seed)
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);
    private readonly Random random = new(seed);
    private readonly CookieContainer cookies = new();
    private HttpClient? http;

    public async Task RunAsync(DateTime stopSubmittingAt, CancellationToken cancellationToken)
    {
        using var client = ApiSession.Create(baseAddress, cookies);
        http = client;

        await Task.Delay(TimeSpan.FromMilliseconds(random.NextDouble() * plan.RampUp.TotalMilliseconds), cancellationToken);
        await SignInAsync(cancellationToken);
        var done = 0;
        while (!cancellationToken.IsCancellationRequested && DateTime.UtcNow < stopSubmittingAt && (plan.JobsPerUser is not { } limit || done < limit))
        {
            var job = await SubmitAsync(cancellationToken);
            await FollowAsync(job, cancellationToken);
            done++;
            await Task.Delay(TimeSpan.FromMilliseconds(random.NextDouble() * plan.ThinkTime.TotalMilliseconds), cancellationToken);
        }
    }

    private async Task SignInAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                if (await ApiSession.SignInAsync(http!, cookies, email, plan.Password, cancellationToken))
                {
                    return;
                }

                throw new InvalidOperationException($"sign-in of {email} was refused");
            }
            catch (HttpRequestException)
            {
                report.Count("unavailable");
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
    }

    /// <summary>Submits a job of a random tool; a lost answer or a refusal because a job is active adopts the active job.</summary>
    private async Task<JobApiEndpoints.JobView> SubmitAsync(CancellationToken cancellationToken)
    {
        var tool = plan.Tools[random.Next(plan.Tools.Count)];
        while (true)
        {
            using var content = Inputs(tool);
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var response = await http!.PostAsync($"api/tools/{tool}/jobs", content, cancellationToken);
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    report.Sample("submit", Stopwatch.GetElapsedTime(started));
                    report.Count("submitted");
                    return (await response.Content.ReadFromJsonAsync<JobApiEndpoints.JobView>(JsonOptions, cancellationToken))!;
                }

                if (response.StatusCode == HttpStatusCode.Conflict && await ActiveAsync(cancellationToken) is { } active)
                {
                    report.Count("submit adopted the active job"); // the answer to an earlier submit was lost
                    return active;
                }

                await ReactAsync(response, "submit", cancellationToken);
            }
            catch (HttpRequestException)
            {
                report.Count("unavailable");
                if (await ActiveAsync(cancellationToken) is { } active)
                {
                    return active; // JobHub died after creating the job
                }
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                report.Count("timed out");
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
    }

    private async Task<JobApiEndpoints.JobView?> ActiveAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                using var response = await http!.GetAsync("api/jobs/active", cancellationToken);
                if (response.StatusCode == HttpStatusCode.NoContent)
                {
                    return null;
                }

                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return await response.Content.ReadFromJsonAsync<JobApiEndpoints.JobView>(JsonOptions, cancellationToken);
                }

                await ReactAsync(response, "active", cancellationToken);
            }
            catch (HttpRequestException)
            {
                report.Count("unavailable");
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                report.Count("timed out");
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
    }

    /// <summary>Follows a job to its end as an open page would: heartbeats while queued, a check when it runs long, maybe a cancel.</summary>
    private async Task FollowAsync(JobApiEndpoints.JobView job, CancellationToken cancellationToken)
    {
        var willCancel = random.NextDouble() < plan.CancelShare;
        var lastBeat = DateTime.UtcNow;
        var lastCheck = DateTime.UtcNow;
        var firstSeen = DateTime.UtcNow;
        while (true)
        {
            if (job.Status is "completed" or "failed" or "cancelled")
            {
                report.Count(job.Status);
                return;
            }

            var path = $"api/jobs/{job.Id}";
            var method = HttpMethod.Get;
            if (job.Status == "queued" && willCancel && DateTime.UtcNow - firstSeen > TimeSpan.FromSeconds(1))
            {
                (path, method, willCancel) = ($"api/jobs/{job.Id}/cancel", HttpMethod.Post, false);
            }
            else if (job.Status == "queued" && DateTime.UtcNow - lastBeat >= plan.HeartbeatInterval)
            {
                (path, method, lastBeat) = ($"api/jobs/{job.Id}/heartbeat", HttpMethod.Post, DateTime.UtcNow);
            }
            else if (job.Status == "running" && DateTime.UtcNow - lastCheck >= plan.CheckAfter)
            {
                (path, method, lastCheck) = ($"api/jobs/{job.Id}/check", HttpMethod.Post, DateTime.UtcNow);
            }

            try
            {
                using var response = await http!.SendAsync(new HttpRequestMessage(method, path), cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    job = (await response.Content.ReadFromJsonAsync<JobApiEndpoints.JobView>(JsonOptions, cancellationToken))!;
                    if (job.Status is "completed" or "failed" or "cancelled")
                    {
                        continue;
                    }
                }
                else if (response.StatusCode is not (HttpStatusCode.NoContent or HttpStatusCode.Conflict))
                {
                    // 204: heartbeat taken; 409: the job moved on before the heartbeat or cancel (the next read shows it)
                    await ReactAsync(response, "follow", cancellationToken);
                }
            }
            catch (HttpRequestException)
            {
                report.Count("unavailable");
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                report.Count("timed out");
            }

            var jitter = 0.5 + random.NextDouble();
            await Task.Delay(TimeSpan.FromMilliseconds(plan.PollInterval.TotalMilliseconds * jitter), cancellationToken);
        }
    }

    /// <summary>An answer that is not the expected one: signed out (sign in again), JobHub or its database down (wait), or a bug (recorded).</summary>
    private async Task ReactAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            report.Count("signed in again");
            await SignInAsync(cancellationToken);
            return;
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        report.Count($"{what}: HTTP {(int)response.StatusCode}", body.Length > 300 ? body[..300] : body);
    }

    private MultipartFormDataContent Inputs(string tool)
    {
        var content = new MultipartFormDataContent();
        var (first, second) = tool switch
        {
            "image-upscaler" => ("image", null),
            "video-upscaler" => ("video", null),
            "pose-changer" => ("person", "pose"),
            "virtual-try-on" => ("person", "clothing"),
            _ => ("image", (string?)null),
        };
        if (first == "video")
        {
            content.Add(File(SampleMedia.Mp4(320, 240, 3), "video/mp4"), "video", "clip.mp4");
        }
        else
        {
            content.Add(File(SampleMedia.Png(64, 48, random.Next(1, 200)), "image/png"), first, "a.png");
        }

        if (second is not null)
        {
            content.Add(File(SampleMedia.Png(48, 64, random.Next(1, 200)), "image/png"), second, "b.png");
        }

        return content;
    }

    private static ByteArrayContent File(byte[] bytes, string type)
    {
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue(type);
        return file;
    }
}
