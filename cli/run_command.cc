#include "cli/run_command.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cli/child_process.h"
#include "cli/coordinator_client.h"
#include "cli/local_coordinator.h"
#include "cli/remote_commands.h"
#include "cli/submission.h"
#include "common/atomic_file.h"
#include "common/status_macros.h"
#include "common/yaml_reader.h"
#include "sweep/sweep_planner.h"
#include "sweep/sweep_spec.h"
#include "fmt/format.h"

namespace lrsweep {
namespace {

std::atomic<bool> interrupted{false};
void OnInterrupt(int) { interrupted.store(true); }

// Everything `run` started, stopped in reverse order on destruction.
struct LocalCluster {
  std::optional<ChildProcess> coordinator;
  std::vector<ChildProcess> workers;
  ~LocalCluster() {
    for (ChildProcess& worker : workers) worker.Terminate(absl::Seconds(10));
    if (coordinator) coordinator->Terminate(absl::Seconds(10));
  }
};

// The run's coordinator and workers talk in plaintext on loopback: the TLS and token settings a
// user's shell holds for a cluster's coordinator must not reach them.
void ForgetClusterSecurity() {
  for (const char* variable :
       {"LRSWEEP_TLS_CA", "LRSWEEP_TLS_CERT", "LRSWEEP_TLS_KEY", "LRSWEEP_TOKEN",
        "LRSWEEP_TOKEN_FILE", "LRSWEEP_WORKER_TOKEN", "LRSWEEP_USER_TOKEN"}) {
    unsetenv(variable);
  }
}

absl::Status StartCoordinator(const RunCommandOptions& options, const std::string& bin,
                              LocalCluster* cluster, std::string* address,
                              std::string* dashboard_url) {
  std::vector<std::string> flags;
  if (!options.dashboard_listen.empty()) flags = {"--http-listen", options.dashboard_listen};
  ASSIGN_OR_RETURN(LocalCoordinator coordinator,
                   StartLocalCoordinator(bin, options.data_dir, flags,
                                         options.data_dir + "/logs/coordinator.log"));
  cluster->coordinator.emplace(std::move(coordinator.process));
  *address = coordinator.address;
  *dashboard_url = coordinator.dashboard_url;
  return absl::OkStatus();
}

// The run's workers train its own sweep only.
absl::Status StartWorkers(const RunCommandOptions& options, const std::string& bin,
                          const std::string& address, const std::string& sweep_id, int workers,
                          int threads, LocalCluster* cluster) {
  for (int i = 0; i < workers; ++i) {
    ASSIGN_OR_RETURN(
        ChildProcess worker,
        ChildProcess::Start({bin + "/lrsweep-worker", "--coordinator", address, "--device",
                             options.device, "--threads", std::to_string(threads), "--name",
                             absl::StrCat("local-", i), "--sweep", sweep_id, "--checkpoint-dir",
                             absl::StrCat(options.data_dir, "/workers/local-", i)},
                            absl::StrCat(options.data_dir, "/logs/worker-", i, ".log")));
    cluster->workers.push_back(std::move(worker));
  }
  return absl::OkStatus();
}

// Continues the sweep of the same file if this data dir holds one that has not ended (a run that
// was interrupted); with --retry, runs the failed and cancelled trials of the one that ended;
// else submits it, saying so when the file's sweep ended earlier. Names the other unfinished
// sweeps of the data dir, which this run leaves alone.
absl::StatusOr<std::string> ResumeOrSubmit(CoordinatorClient& client, const RunCommandOptions& options,
                                           const Submission& submission, std::ostream& out,
                                           std::ostream& err) {
  ASSIGN_OR_RETURN(v1::ListSweepsResponse sweeps, client.ListSweeps());
  const std::string& digest = submission.source_digest;
  std::string resumed, finished_earlier;
  for (auto it = sweeps.sweeps().rbegin(); it != sweeps.sweeps().rend(); ++it) {
    if (it->source_sha256() != digest) continue;
    if (it->state() == v1::SWEEP_RUNNING && resumed.empty()) resumed = it->sweep_id();
    if (it->state() != v1::SWEEP_RUNNING && finished_earlier.empty()) {
      finished_earlier = it->sweep_id();
    }
  }
  for (const v1::SweepSummary& sweep : sweeps.sweeps()) {
    if (sweep.state() != v1::SWEEP_RUNNING || sweep.sweep_id() == resumed) continue;
    err << fmt::format("also unfinished in {}: {} ({}, {}/{} finished); this run leaves it alone: "
                       "`lrsweep run` of its sweep file with --data-dir {} continues it\n",
                       options.data_dir, sweep.sweep_id(), sweep.name(), FinishedCount(sweep),
                       sweep.total_trials(), options.data_dir);
  }
  if (!resumed.empty()) {
    err << "resuming sweep " << resumed << " from " << client.address()
        << " (same file, not finished)\n";
    out << resumed << "\n";
    return resumed;
  }
  if (options.retry && !finished_earlier.empty()) {
    // Nothing to retry is not a reason to train the whole sweep again: its report follows.
    ASSIGN_OR_RETURN(int64_t retried, client.Retry(finished_earlier, /*cancelled=*/true));
    if (retried > 0) {
      err << "retrying " << retried << " failed or cancelled trials of " << finished_earlier
          << ", each from its newest checkpoint\n";
    } else {
      err << finished_earlier << " has no failed or cancelled trial to retry\n";
    }
    out << finished_earlier << "\n";
    return finished_earlier;
  }
  if (options.retry) {
    err << "--retry: this data dir holds no earlier sweep of this file; submitting it\n";
  }
  if (!finished_earlier.empty()) {
    err << "this file's sweep ended earlier as " << finished_earlier
        << " (`lrsweep report " << finished_earlier << "`"
        << (options.retry ? "" : "; `--retry` runs its failed trials again") << "); starting a new sweep\n";
  }
  return RunSubmit(client, submission, out, err);
}

// Every worker has exited while the sweep is not finished: nothing will train it. Says why, from
// the first worker log that has an error: INVALID_ARGUMENT (exit 2) when a worker refused its
// flags (exit code 2), else INTERNAL.
std::optional<absl::Status> WorkersGone(LocalCluster& cluster, const std::string& data_dir) {
  for (ChildProcess& worker : cluster.workers) {
    if (worker.Running()) return std::nullopt;
  }
  bool bad_flags = false;
  std::string why;
  for (size_t i = 0; i < cluster.workers.size(); ++i) {
    bad_flags = bad_flags || cluster.workers[i].exit_code() == 2;
    const std::string log = absl::StrCat(data_dir, "/logs/worker-", i, ".log");
    const std::string error = LastErrorLine(log);
    if (why.empty() && !error.empty()) why = absl::StrCat(": ", error, " (", log, ")");
  }
  const std::string message = absl::StrCat("all ", cluster.workers.size(),
                                           " workers exited before the sweep finished", why);
  return bad_flags ? absl::InvalidArgumentError(message) : absl::InternalError(message);
}

// Shows the sweep's progress until it ends (`*ended` set; the status is the watch's verdict: a
// failed trial, a cancelled sweep), the run is interrupted (CANCELLED) or every worker is gone.
// The watch runs on a thread of its own so that Ctrl-C ends the run promptly.
absl::Status WatchUntilEnd(CoordinatorClient& client, const std::string& sweep_id,
                           const std::string& data_dir, LocalCluster& cluster, std::ostream& err,
                           bool* ended) {
  absl::Status watched = absl::OkStatus();
  std::atomic<bool> watch_done{false}, stop_watching{false};
  std::thread watcher([&] {
    watched = RunWatch(client, sweep_id, isatty(STDERR_FILENO) == 1, err, &stop_watching);
    watch_done.store(true);
  });
  std::optional<absl::Status> workers_gone;
  while (!watch_done.load() && !interrupted.load() && !workers_gone) {
    absl::SleepFor(absl::Milliseconds(50));
    workers_gone = WorkersGone(cluster, data_dir);
  }
  if (watch_done.load()) {
    watcher.join();
    *ended = true;
    return watched;
  }
  if (!workers_gone) {
    err << "\ninterrupted: stopping the workers and the coordinator; the sweep's state is kept in "
        << data_dir << "\n";
  }
  stop_watching.store(true);
  cluster.workers.clear();       // they checkpoint and give their trials back
  cluster.coordinator.reset();   // ends the watch
  watcher.join();
  if (workers_gone) return *workers_gone;
  return absl::CancelledError("interrupted");
}

}  // namespace

absl::Status RunRunCommand(const RunCommandOptions& options, std::ostream& out,
                           std::ostream& err) {
  // Check the sweep before starting anything: a typo costs no process start-up.
  ASSIGN_OR_RETURN(Submission submission, ReadSubmission(options.file));
  ASSIGN_OR_RETURN(SweepPlan plan, PlanSweep(submission.spec));
  const int cores = std::max(1u, std::thread::hardware_concurrency());
  const int workers = std::max(
      1, std::min<int>(options.workers > 0 ? options.workers : cores,
                       static_cast<int>(plan.trials.size() + plan.after_range_test.size())));
  const int threads = std::max(1, cores / workers);
  ForgetClusterSecurity();

  std::error_code error;
  std::filesystem::create_directories(options.data_dir + "/logs", error);
  std::filesystem::create_directories(options.data_dir + "/reports", error);
  if (error) {
    return absl::InvalidArgumentError(
        absl::StrCat("--data-dir ", options.data_dir, ": ", error.message()));
  }
  interrupted.store(false);
  // Ctrl-C, SIGTERM and a closed terminal (SIGHUP) all end the run the same way: workers give
  // their trials back with a checkpoint, the coordinator stops, the data dir stays consistent.
  signal(SIGINT, OnInterrupt);
  signal(SIGTERM, OnInterrupt);
  signal(SIGHUP, OnInterrupt);

  const std::string bin = ExecutableDir();
  LocalCluster cluster;
  std::string address, dashboard_url;
  RETURN_IF_ERROR(StartCoordinator(options, bin, &cluster, &address, &dashboard_url));
  err << fmt::format("coordinator on {} (data in {}), {} workers x {} threads on {}\n", address,
                     options.data_dir, workers, threads, options.device);
  if (!dashboard_url.empty()) {
    err << fmt::format("dashboard: {} (live while this run lasts; afterwards: lrsweep dashboard "
                       "--data-dir {})\n",
                       dashboard_url, options.data_dir);
  }
  CoordinatorClient client(address);
  ASSIGN_OR_RETURN(std::string sweep_id, ResumeOrSubmit(client, options, submission, out, err));
  RETURN_IF_ERROR(StartWorkers(options, bin, address, sweep_id, workers, threads, &cluster));

  bool ended = false;
  const absl::Status watched =
      WatchUntilEnd(client, sweep_id, options.data_dir, cluster, err, &ended);
  if (!ended) return watched;  // interrupted, or no worker left: no report
  ASSIGN_OR_RETURN(SweepReport report, FetchReport(client, sweep_id, ReportOptions{}));
  out << "\n" << RenderMarkdown(report);
  const std::string base = absl::StrCat(options.data_dir, "/reports/", sweep_id);
  for (const char* format : {"md", "json", "csv", "html"}) {
    RETURN_IF_ERROR(WriteReport(report, format, absl::StrCat(base, ".", format)));
  }
  out << fmt::format("\nReports: {0}.md {0}.json {0}.csv\nHTML report: {0}.html\n", base);
  return watched;
}

}  // namespace lrsweep
