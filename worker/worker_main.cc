// lrsweep-worker: trains the trials the coordinator leases to it, one at a time, on one device.
//
//   lrsweep-worker --coordinator 127.0.0.1:7077 --device cuda:0 --threads 4 --name gpu0
//
// Against a coordinator with TLS and tokens: --tls-ca ca.pem --token-file worker.token (or
// $LRSWEEP_TLS_CA and $LRSWEEP_TOKEN_FILE / $LRSWEEP_TOKEN; see rpc/client_security.h).
//
// Run one worker per GPU. SIGTERM or SIGINT stops it: the running trial is checkpointed at its
// next step, given back to the coordinator (PREEMPTED) and resumed by another worker; the worker
// exits 0 within --grace-seconds.
//
// With --checkpoint-store shared:/mnt/ckpt, checkpoints go to a directory every worker mounts
// instead of being uploaded to the coordinator (see worker/checkpoint_store.h).
#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "CLI/CLI.hpp"
#include "common/command_line.h"
#include <unistd.h>

#include "common/termination_signals.h"
#include "torch/torch.h"
#include "worker/agent.h"
#include "worker/checkpoint_store.h"
#include "worker/coordinator_link.h"
#include "worker/worker_metrics.h"
#include "common/metrics_endpoint.h"

namespace lrsweep {
namespace {

// The Python client beside this build: <prefix>/bin/lrsweep-worker -> <prefix>/python;
// $LRSWEEP_PYTHON_DIR overrides.
std::string DefaultPythonDir() {
  if (const char* dir = std::getenv("LRSWEEP_PYTHON_DIR"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  std::error_code error;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return "python";
  return (exe.parent_path().parent_path() / "python").string();
}

int Main(int argc, char** argv) {
  BlockTerminationSignals();
  CLI::App app{"lrsweep-worker: trains lrsweep trials with LibTorch"};
  AgentOptions options;
  const char* env = std::getenv("LRSWEEP_COORDINATOR");
  if (env != nullptr && *env != '\0') options.coordinator = env;
  std::string device = "cpu";
  app.add_option("--coordinator", options.coordinator,
                 "Coordinator HOST:PORT (default: $LRSWEEP_COORDINATOR or 127.0.0.1:7077)")
      ->capture_default_str()
      ->check(HostPortValidator(/*allow_zero=*/false));
  app.add_option("--device", device, "cpu, cuda or cuda:N")->capture_default_str();
  app.add_option("--threads", options.threads, "Intra-op threads for LibTorch")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  if (const char* name = std::getenv("LRSWEEP_WORKER_NAME"); name != nullptr) options.name = name;
  app.add_option("--name", options.name,
                 "Name shown in lrsweep status (default: $LRSWEEP_WORKER_NAME, else the worker "
                 "id)");
  app.add_option("--sweep", options.sweep_id, "Train only this sweep's trials (default: any)");
  int grace_seconds = 30;
  app.add_option("--grace-seconds", grace_seconds,
                 "On SIGTERM: time to checkpoint, give the trial back and exit")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  options.checkpoint_dir = DefaultWorkerStateDir();
  app.add_option("--checkpoint-dir", options.checkpoint_dir,
                 "Local copy of the running trial's latest checkpoint (coordinator store), "
                 "deleted when the trial ends here")
      ->capture_default_str();
  options.artifact_dir = DefaultWorkerStateDir() + "/artifacts";
  app.add_option("--artifact-dir", options.artifact_dir,
                 "Cache of the models and data files sweeps name, by SHA-256 (kept across "
                 "trials and worker restarts)")
      ->capture_default_str();
  options.attempt_dir = DefaultWorkerStateDir() + "/attempts";
  app.add_option("--attempt-dir", options.attempt_dir,
                 "Command trials: where each attempt's program runs its checkpoint folders "
                 "(running/, removed after the attempt) and the worker keeps its logs (logs/)")
      ->capture_default_str();
  options.python_dir = DefaultPythonDir();
  app.add_option("--python-dir", options.python_dir,
                 "Command trials: the folder of the Python client package `lrsweep`, put on "
                 "the program's PYTHONPATH")
      ->capture_default_str();
  std::string checkpoint_store = "coordinator";
  app.add_option("--checkpoint-store", checkpoint_store,
                 "coordinator: upload checkpoints to the coordinator; shared:DIR: write them to "
                 "DIR, a directory every worker mounts, and only register them")
      ->capture_default_str();
  int64_t exit_when_idle_seconds = 0;
  app.add_option("--exit-when-idle", exit_when_idle_seconds,
                 "Exit 0 after this many seconds without a trial (checked after each lease "
                 "poll, up to 10 s), so a batch job ends with its sweeps; 0: never")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 31));
  std::string metrics_listen;
  app.add_option("--metrics-listen", metrics_listen,
                 "Serve Prometheus metrics on http://HOST:PORT/metrics: steps/s, examples/s, "
                 "LR, checkpoint time and bytes, trials by outcome")
      ->check(HostPortValidator(/*allow_zero=*/true));
  ClientSecurityFlags security_flags;
  AddClientSecurityOptions(app, security_flags);
  if (std::optional<int> exit_code = ParseCommandLine(app, argc, argv)) return *exit_code;
  absl::StatusOr<ClientSecurity> security = LoadClientSecurity(security_flags);
  if (!security.ok()) {
    std::cerr << "error: " << security.status().message() << "\n";
    return 2;
  }
  absl::StatusOr<CheckpointStoreConfig> store = ParseCheckpointStoreFlag(checkpoint_store);
  if (!store.ok()) {
    std::cerr << "error: " << store.status().message() << "\n";
    return 2;
  }
  options.checkpoint_store = *store;
  options.grace = absl::Seconds(grace_seconds);
  options.exit_when_idle = absl::Seconds(exit_when_idle_seconds);
  try {
    options.device = torch::Device(device);
  } catch (const std::exception& e) {
    std::cerr << "error: --device " << device << ": not a device (use cpu, cuda or cuda:N)\n";
    return 2;
  }
  if (options.device.is_cuda() && !torch::cuda::is_available()) {
    std::cerr << "error: --device " << device
              << ": this LibTorch build or machine has no CUDA; use --device cpu\n";
    return 2;
  }
  torch::set_num_threads(options.threads);
  WorkerMetrics metrics;
  std::unique_ptr<MetricsEndpoint> metrics_endpoint;
  if (!metrics_listen.empty()) {
    absl::StatusOr<std::unique_ptr<MetricsEndpoint>> endpoint =
        MetricsEndpoint::Start(metrics_listen);
    if (!endpoint.ok()) {
      std::cerr << "error: " << endpoint.status().message() << "\n";
      return 2;
    }
    metrics_endpoint = *std::move(endpoint);
    metrics_endpoint->Register(metrics.registry());
    options.metrics = &metrics;
    std::cerr << "lrsweep-worker: metrics on " << metrics_endpoint->url() << "\n";
  }

  WorkerAgent agent(options, NewGrpcCoordinatorLink(options.coordinator, options.rpc_deadline,
                                                    *security));
  std::atomic<bool> finished{false};
  std::thread watcher([&agent, &finished, grace_seconds] {
    WaitForTerminationSignal();
    if (finished.load()) return;
    agent.RequestStop();
    // The grace period is a promise to the scheduler that sent SIGTERM: exit 0 within it.
    std::thread([grace_seconds] {
      std::this_thread::sleep_for(std::chrono::seconds(grace_seconds));
      std::cerr << "lrsweep-worker: grace period over; exiting\n";
      std::_Exit(0);
    }).detach();
  });
  const absl::Status status = agent.Run();
  finished.store(true);
  kill(getpid(), SIGTERM);  // wakes the watcher if no signal came
  watcher.join();
  if (!status.ok() && !absl::IsCancelled(status)) {
    std::cerr << "error: " << status.message() << "\n";
    return absl::IsInvalidArgument(status) ? 2 : 1;
  }
  return 0;
}

}  // namespace
}  // namespace lrsweep

int main(int argc, char** argv) { return lrsweep::Main(argc, argv); }
