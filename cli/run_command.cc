#include "cli/run_command.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cli/child_process.h"
#include "cli/coordinator_client.h"
#include "cli/local_coordinator.h"
#include "cli/remote_commands.h"
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

absl::Status StartCoordinator(const RunCommandOptions& options, const std::string& bin,
                              LocalCluster* cluster, std::string* address) {
  ASSIGN_OR_RETURN(LocalCoordinator coordinator,
                   StartLocalCoordinator(bin, options.data_dir, {},
                                         options.data_dir + "/logs/coordinator.log"));
  cluster->coordinator.emplace(std::move(coordinator.process));
  *address = coordinator.address;
  return absl::OkStatus();
}

absl::Status StartWorkers(const RunCommandOptions& options, const std::string& bin,
                          const std::string& address, int workers, int threads,
                          LocalCluster* cluster) {
  for (int i = 0; i < workers; ++i) {
    ASSIGN_OR_RETURN(
        ChildProcess worker,
        ChildProcess::Start({bin + "/lrsweep-worker", "--coordinator", address, "--device",
                             options.device, "--threads", std::to_string(threads), "--name",
                             absl::StrCat("local-", i)},
                            absl::StrCat(options.data_dir, "/logs/worker-", i, ".log")));
    cluster->workers.push_back(std::move(worker));
  }
  return absl::OkStatus();
}

// Continues the sweep of the same file if this data dir holds one that has not ended (a run that
// was interrupted), else submits it.
absl::StatusOr<std::string> ResumeOrSubmit(CoordinatorClient& client, const std::string& file,
                                           std::ostream& out, std::ostream& err) {
  ASSIGN_OR_RETURN(std::string yaml, ReadTextFile(file));
  ASSIGN_OR_RETURN(v1::ListSweepsResponse sweeps, client.ListSweeps());
  const std::string digest = Sha256Hex(yaml);
  for (auto it = sweeps.sweeps().rbegin(); it != sweeps.sweeps().rend(); ++it) {
    if (it->source_sha256() == digest && it->state() == v1::SWEEP_RUNNING) {
      err << "resuming sweep " << it->sweep_id() << " from " << client.address()
          << " (same file, not finished)\n";
      out << it->sweep_id() << "\n";
      return it->sweep_id();
    }
  }
  return RunSubmit(client, file, out, err);
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

}  // namespace

absl::Status RunRunCommand(const RunCommandOptions& options, std::ostream& out,
                           std::ostream& err) {
  // Check the sweep before starting anything: a typo costs no process start-up.
  ASSIGN_OR_RETURN(SweepSpec spec, LoadSweepFile(options.file));
  ASSIGN_OR_RETURN(SweepPlan plan, PlanSweep(spec));
  const int cores = std::max(1u, std::thread::hardware_concurrency());
  const int workers = std::max(
      1, std::min<int>(options.workers > 0 ? options.workers : cores,
                       static_cast<int>(plan.trials.size())));
  const int threads = std::max(1, cores / workers);

  std::error_code error;
  std::filesystem::create_directories(options.data_dir + "/logs", error);
  std::filesystem::create_directories(options.data_dir + "/reports", error);
  if (error) {
    return absl::InvalidArgumentError(
        absl::StrCat("--data-dir ", options.data_dir, ": ", error.message()));
  }
  interrupted.store(false);
  signal(SIGINT, OnInterrupt);
  signal(SIGTERM, OnInterrupt);

  const std::string bin = ExecutableDir();
  LocalCluster cluster;
  std::string address;
  RETURN_IF_ERROR(StartCoordinator(options, bin, &cluster, &address));
  err << fmt::format("coordinator on {} (data in {}), {} workers x {} threads on {}\n", address,
                     options.data_dir, workers, threads, options.device);
  CoordinatorClient client(address);
  ASSIGN_OR_RETURN(std::string sweep_id, ResumeOrSubmit(client, options.file, out, err));
  RETURN_IF_ERROR(StartWorkers(options, bin, address, workers, threads, &cluster));

  // Watch on a thread of its own so that Ctrl-C can end the run promptly.
  absl::Status watched = absl::OkStatus();
  std::atomic<bool> watch_done{false};
  std::thread watcher([&] {
    watched = RunWatch(client, sweep_id, isatty(STDERR_FILENO) == 1, err);
    watch_done.store(true);
  });
  std::optional<absl::Status> workers_gone;
  while (!watch_done.load() && !interrupted.load() && !workers_gone) {
    absl::SleepFor(absl::Milliseconds(50));
    workers_gone = WorkersGone(cluster, options.data_dir);
  }
  if (workers_gone && !watch_done.load()) {
    cluster.coordinator.reset();  // ends the watch
    watcher.join();
    return *workers_gone;
  }
  if (!watch_done.load()) {
    err << "\ninterrupted: stopping the workers and the coordinator; the sweep's state is kept in "
        << options.data_dir << "\n";
    cluster.workers.clear();
    cluster.coordinator.reset();
    watcher.join();
    return absl::CancelledError("interrupted");
  }
  watcher.join();

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
