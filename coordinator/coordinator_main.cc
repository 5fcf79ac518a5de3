// lrsweep-coordinator: serves sweeps to users and trials to workers over gRPC.
//
//   lrsweep-coordinator --listen 127.0.0.1:7077 --data-dir ./lrsweep-data
//
// State lives in DATA_DIR/lrsweep.db (SQLite, WAL). SIGTERM or SIGINT shuts down cleanly; a
// kill -9 loses nothing that was acknowledged.
#include <netdb.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "CLI/CLI.hpp"
#include "common/command_line.h"
#include "common/data_dir_lock.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/termination_signals.h"
#include "coordinator/coordinator.h"
#include "rpc/rpc_convert.h"
#include "coordinator/service.h"
#include "coordinator/store.h"
#include "grpcpp/grpcpp.h"

namespace lrsweep {
namespace {

// What the coordinator keeps of one command-trial attempt's output.
constexpr int64_t kMaxTrialLogBytes = int64_t{16} << 20;

bool IsLoopback(const std::string& address) {
  return absl::StartsWith(address, "127.") || absl::StartsWith(address, "localhost:") ||
         absl::StartsWith(address, "[::1]:");
}

// Why `listen` (HOST:PORT) cannot be bound, found by trying it with a plain socket: gRPC only
// says that it failed.
std::string WhyCannotListen(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return "expected HOST:PORT";
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.empty() ? nullptr : host.c_str(), listen.substr(colon + 1).c_str(), &hints,
                  &found) != 0) {
    return "not an address of this machine";
  }
  std::string why = "in use, or not an address of this machine";
  const int fd = socket(found->ai_family, found->ai_socktype, found->ai_protocol);
  if (fd >= 0 && bind(fd, found->ai_addr, found->ai_addrlen) != 0) {
    why = errno == EADDRINUSE      ? "address in use"
          : errno == EADDRNOTAVAIL ? "not an address of this machine"
                                   : std::strerror(errno);
  }
  if (fd >= 0) close(fd);
  freeaddrinfo(found);
  return why;
}

int Main(int argc, char** argv) {
  BlockTerminationSignals();
  CLI::App app{"lrsweep-coordinator: leases sweep trials to workers and keeps their results"};
  std::string listen = "127.0.0.1:7077";
  std::string data_dir = "lrsweep-data";
  std::string port_file;
  int64_t heartbeat_ms = 2000;
  int64_t lease_timeout_ms = 0;
  app.add_option("--listen", listen, "HOST:PORT to serve on (port 0 picks a free one)")
      ->capture_default_str()
      ->check(HostPortValidator(/*allow_zero=*/true));
  app.add_option("--data-dir", data_dir, "Directory of the state database")->capture_default_str();
  app.add_option("--port-file", port_file, "Write the bound port to this file once serving");
  app.add_option("--heartbeat-ms", heartbeat_ms, "Heartbeat interval asked of workers")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{10}, int64_t{600000}));
  app.add_option("--lease-timeout-ms", lease_timeout_ms,
                 "A lease not renewed for this long makes its trial PREEMPTED (leased again; "
                 "default: 3 heartbeats)")
      ->check(CLI::Range(int64_t{10}, int64_t{3600000}));
  std::string shared_checkpoint_dir;
  app.add_option("--shared-checkpoint-dir", shared_checkpoint_dir,
                 "The shared checkpoint directory of workers run with --checkpoint-store "
                 "shared:DIR, as this machine mounts it: their checkpoints are then verified and "
                 "garbage-collected here (optional)")
      ->check(CLI::ExistingDirectory);
  int64_t max_artifact_mb = kDefaultMaxArtifactBytes >> 20;
  app.add_option("--max-artifact-mb", max_artifact_mb,
                 "Largest model or data file `lrsweep submit` may upload; larger files go on a "
                 "path every node reads (upload: false)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
  if (std::optional<int> exit_code = ParseCommandLine(app, argc, argv)) return *exit_code;

  if (lease_timeout_ms > 0 && lease_timeout_ms < 3 * heartbeat_ms) {
    std::cerr << "warning: --lease-timeout-ms " << lease_timeout_ms << " is under three heartbeats ("
              << 3 * heartbeat_ms << " ms at --heartbeat-ms " << heartbeat_ms
              << "): one late heartbeat makes a healthy worker lose its trial. Use at least "
              << 3 * heartbeat_ms << ".\n";
  }
  if (!IsLoopback(listen)) {
    std::cerr << "warning: listening on " << listen
              << " without authentication: anyone who can reach it can submit sweeps and run "
                 "trials. Bind to 127.0.0.1 or put it behind a private network.\n";
  }
  std::error_code error;
  std::filesystem::create_directories(data_dir, error);
  if (error) {
    std::cerr << "error: --data-dir " << data_dir << ": " << error.message() << "\n";
    return 2;
  }
  // One owner per data dir, taken before the store opens.
  absl::StatusOr<DataDirLock> lock = DataDirLock::Acquire(data_dir);
  if (!lock.ok()) {
    std::cerr << "error: " << lock.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(data_dir + "/lrsweep.db");
  if (!store.ok()) {
    std::cerr << "error: " << store.status().message() << "\n";
    return 1;
  }
  CoordinatorOptions options;
  options.heartbeat_interval = absl::Milliseconds(heartbeat_ms);
  options.lease_timeout = absl::Milliseconds(lease_timeout_ms > 0 ? lease_timeout_ms
                                                                  : 3 * heartbeat_ms);
  options.checkpoint_dir = data_dir + "/checkpoints";
  options.shared_checkpoint_dir = shared_checkpoint_dir;
  absl::StatusOr<std::unique_ptr<Coordinator>> coordinator =
      Coordinator::Create(store->get(), options);
  if (!coordinator.ok()) {
    std::cerr << "error: " << coordinator.status().message() << "\n";
    return 1;
  }

  const ArtifactStore artifacts(data_dir + "/artifacts", max_artifact_mb << 20);
  TrialLogStore logs(data_dir + "/logs", kMaxTrialLogBytes);
  SweepServiceImpl sweep_service(coordinator->get(), &artifacts, &logs);
  WorkerServiceImpl worker_service(coordinator->get(), &artifacts, &logs);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  // One owner per port: gRPC would otherwise share it (SO_REUSEPORT) with another coordinator,
  // and clients would reach one or the other at random.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  ApplyServerLimits(builder);
  builder.RegisterService(&sweep_service);
  builder.RegisterService(&worker_service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::cerr << "error: cannot listen on " << listen << ": " << WhyCannotListen(listen) << "\n";
    return 1;
  }
  const std::string bound = absl::StrCat(listen.substr(0, listen.rfind(':')), ":", port);
  lock->Describe(absl::StrCat("lrsweep-coordinator serving on ", bound));
  if (!port_file.empty()) {
    const std::string temp = port_file + ".tmp";
    std::ofstream(temp) << port << "\n";
    std::filesystem::rename(temp, port_file, error);
  }
  std::cerr << "lrsweep-coordinator: serving on " << bound << ", data in " << data_dir << "\n";

  WaitForTerminationSignal();
  std::cerr << "lrsweep-coordinator: shutting down\n";
  // Long-polls are answered first; unary calls finish within milliseconds. gRPC 1.51 then keeps
  // waiting for idle client connections until the deadline, so the deadline is short: anything
  // still in flight after it is cancelled, and its transaction either committed or did not.
  (*coordinator)->Shutdown();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  return 0;
}

}  // namespace
}  // namespace lrsweep

int main(int argc, char** argv) { return lrsweep::Main(argc, argv); }
