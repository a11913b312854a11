using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using CamService.Testing;

namespace CamService.Tests;

/// <summary>
/// SIGTERM to the real service process, with explanations in flight: readiness turns unhealthy and
/// new explanations are refused first, the ones in flight finish with 200, and the process exits 0.
/// </summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task Sigterm_LetsExplanationsInFlightFinish_RefusesNewOnes_AndExits0()
    {
        var models = Directory.CreateTempSubdirectory("camservice-shutdown-").FullName;
        try
        {
            TestModels.WriteCamReady(models, "colour32", 32);
            TestModels.WriteSlowCamReady(models, "slow", 256, 100);
            // One thread, not measured: the slow model's sweep is not what this test is about, and on a busy CI
            // machine it once kept the service from becoming ready within three minutes. The shutdown's budget and the
            // requests' deadline are far beyond the explanations' time, however loaded the machine: they must finish,
            // not race the 30 s defaults.
            using var service = ServiceProcess.Start(models, "--Shutdown:DelaySeconds=2", "--Shutdown:TimeoutSeconds=600", "--Cam:RequestTimeoutSeconds=600",
                "--Cam:MaxConcurrentRequests=2", "--Models:WarmupRuns=1", "--Inference:Threads=1");
            using var client = new HttpClient { BaseAddress = service.Address, Timeout = TimeSpan.FromMinutes(10) };
            await service.WaitReadyAsync(client);

            var photo = TestImages.RedTopLeftPng(64);
            var inFlight = Enumerable.Range(0, 2).Select(_ => client.PostAsync("/cam", Api.Form(photo, fields: ("models", "slow")))).ToList();
            await Wait.Until(async () => ExplanationsInFlight(await client.GetStringAsync("/health/ready")) == 2);

            service.Terminate();

            // Unready at once, and new explanations are refused (while load balancers catch up) ...
            await Wait.Until(async () => (await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.ServiceUnavailable);
            using (var refused = await client.PostAsync("/cam", Api.Form(photo, fields: ("models", "colour32"))))
            {
                var problem = await Api.ProblemAsync(refused, 503);
                Assert.Equal("Shutting down", problem.GetProperty("title").GetString());
                Assert.NotNull(refused.Headers.RetryAfter);
            }

            // ... while the explanations in flight complete, whole.
            foreach (var request in inFlight)
            {
                using var response = await request;
                var body = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
                Assert.Equal("slow", JsonDocument.Parse(body).RootElement.GetProperty("results")[0].GetProperty("model").GetString());
            }

            Assert.Equal(0, await service.WaitForExitAsync(TimeSpan.FromMinutes(1)));
            Assert.Contains("Shutting down: unready and refusing new explanations; 2 in flight", service.Output);
        }
        finally
        {
            Directory.Delete(models, recursive: true);
        }
    }

    static int ExplanationsInFlight(string readiness) =>
        JsonDocument.Parse(readiness).RootElement.GetProperty("checks").GetProperty("models").GetProperty("data").GetProperty("explanationsInFlight").GetInt32();

    /// <summary>The built service (CamService.dll beside the tests) as a process of its own on a free loopback port.</summary>
    sealed class ServiceProcess : IDisposable
    {
        readonly Process process;
        readonly StringBuilder output = new();

        ServiceProcess(Process process, Uri address)
        {
            this.process = process;
            Address = address;
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.ErrorDataReceived += (_, e) => Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public Uri Address { get; }

        public string Output
        {
            get
            {
                lock (output)
                {
                    return output.ToString();
                }
            }
        }

        public static ServiceProcess Start(string models, params string[] settings)
        {
            var address = new Uri($"http://127.0.0.1:{FreePort()}");
            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = AppContext.BaseDirectory,
            };
            foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "CamService.dll"), "--urls", address.ToString(), $"--Models:Directory={models}" }.Concat(settings))
            {
                start.ArgumentList.Add(argument);
            }
            return new ServiceProcess(Process.Start(start)!, address);
        }

        public async Task WaitReadyAsync(HttpClient client)
        {
            var deadline = DateTime.UtcNow + Wait.ForModels;
            while (true)
            {
                Assert.False(process.HasExited, $"The service exited with {(process.HasExited ? process.ExitCode : 0)}:\n{Output}");
                try
                {
                    // Ready, and every model loaded (readiness needs only one).
                    using var response = await client.GetAsync("/health/ready");
                    if (response.IsSuccessStatusCode && !(await response.Content.ReadAsStringAsync()).Contains("\"loading\"", StringComparison.Ordinal))
                    {
                        return;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }
                Assert.True(DateTime.UtcNow < deadline, $"The service never became ready:\n{Output}");
                await Task.Delay(100);
            }
        }

        /// <summary>SIGTERM, as a container platform sends it.</summary>
        public void Terminate()
        {
            using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
            Assert.Equal(0, kill.ExitCode);
        }

        public async Task<int> WaitForExitAsync(TimeSpan timeout)
        {
            using var cancel = new CancellationTokenSource(timeout);
            await process.WaitForExitAsync(cancel.Token);
            return process.ExitCode;
        }

        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }
            process.Dispose();
        }

        void Append(string? line)
        {
            if (line is not null)
            {
                lock (output)
                {
                    output.AppendLine(line);
                }
            }
        }

        static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
