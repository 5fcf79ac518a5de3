// lrsweep-coordinator: serves sweeps to users and trials to workers over gRPC.
//
//   lrsweep-coordinator --listen 127.0.0.1:7077 --data-dir ./lrsweep-data
//   lrsweep-coordinator init-secrets /etc/lrsweep --host coord.example.org   # then, off loopback:
//   lrsweep-coordinator --listen 0.0.0.0:7077 --tls-cert /etc/lrsweep/server.pem
//       --tls-key /etc/lrsweep/server.key --worker-token-file /etc/lrsweep/worker.token
//       --user-token-file /etc/lrsweep/user.token --health-listen 0.0.0.0:7078  (one line)
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
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/command_line.h"
#include "common/data_dir_lock.h"
#include "common/status_macros.h"
#include "common/termination_signals.h"
#include "common/metrics_endpoint.h"
#include "coordinator/coordinator.h"
#include "coordinator/coordinator_metrics.h"
#include "coordinator/init_secrets.h"
#include "coordinator/server_security.h"
#include "coordinator/service.h"
#include "coordinator/store.h"
#include "coordinator/token_auth.h"
#include "dashboard/coordinator_source.h"
#include "dashboard/dashboard_api.h"
#include "dashboard/http_server.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/grpcpp.h"
#include "rpc/rpc_convert.h"

namespace lrsweep {
namespace {

// What the coordinator keeps of one command-trial attempt's output.
constexpr int64_t kMaxTrialLogBytes = int64_t{16} << 20;

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

struct CoordinatorFlags {
  std::string listen = "127.0.0.1:7077";
  std::string data_dir = "lrsweep-data";
  std::string port_file;
  std::string health_listen;
  std::string metrics_listen;
  std::string http_listen;
  std::string http_port_file;
  int64_t heartbeat_ms = 2000;
  int64_t lease_timeout_ms = 0;
  std::string shared_checkpoint_dir;
  int64_t max_artifact_mb = kDefaultMaxArtifactBytes >> 20;
  ServerSecurityOptions security;
};

void AddServeOptions(CLI::App& app, CoordinatorFlags& flags) {
  app.add_option("--listen", flags.listen, "HOST:PORT to serve on (port 0 picks a free one)")
      ->capture_default_str()
      ->check(HostPortValidator(/*allow_zero=*/true));
  app.add_option("--data-dir", flags.data_dir, "Directory of the state database")
      ->capture_default_str();
  app.add_option("--port-file", flags.port_file, "Write the bound port to this file once serving");
  app.add_option("--health-listen", flags.health_listen,
                 "Also serve only the gRPC health service (grpc.health.v1), in plaintext and "
                 "without tokens, on this HOST:PORT: for Kubernetes probes, which cannot use "
                 "TLS")
      ->check(HostPortValidator(/*allow_zero=*/false));
  app.add_option("--metrics-listen", flags.metrics_listen,
                 "Serve Prometheus metrics on http://HOST:PORT/metrics: trials, sweeps and "
                 "workers by state, leases, hand-offs, RPCs by method and code, checkpoints")
      ->check(HostPortValidator(/*allow_zero=*/true));
  app.add_option("--http-listen", flags.http_listen,
                 "Serve the dashboard (live sweeps, trials, curves, workers) and its JSON API "
                 "(/api/v1/) on http://HOST:PORT/; off loopback it needs --tls-cert/--tls-key and "
                 "--user-token-file, like the gRPC port (port 0 picks a free one)")
      ->check(HostPortValidator(/*allow_zero=*/true));
  app.add_option("--http-port-file", flags.http_port_file,
                 "Write the dashboard's bound port to this file once serving");
  app.add_option("--heartbeat-ms", flags.heartbeat_ms, "Heartbeat interval asked of workers")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{10}, int64_t{600000}));
  app.add_option("--lease-timeout-ms", flags.lease_timeout_ms,
                 "A lease not renewed for this long makes its trial PREEMPTED (leased again; "
                 "default: 3 heartbeats)")
      ->check(CLI::Range(int64_t{10}, int64_t{3600000}));
  app.add_option("--shared-checkpoint-dir", flags.shared_checkpoint_dir,
                 "The shared checkpoint directory of workers run with --checkpoint-store "
                 "shared:DIR, as this machine mounts it: their checkpoints are then verified and "
                 "garbage-collected here (optional)")
      ->check(CLI::ExistingDirectory);
  app.add_option("--max-artifact-mb", flags.max_artifact_mb,
                 "Largest model or data file `lrsweep submit` may upload; larger files go on a "
                 "path every node reads (upload: false)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
  AddServerSecurityOptions(app, flags.security);
}

int RunInitSecrets(const InitSecretsOptions& options) {
  const absl::Status made = InitSecrets(options);
  if (!made.ok()) {
    std::cerr << "error: init-secrets: " << made.message() << "\n";
    return absl::IsInvalidArgument(made) ? 2 : 1;
  }
  const std::string d = options.dir;
  std::cout << "wrote " << absl::StrJoin(SecretFileNames(), ", ") << " to " << d
            << "\n\ncoordinator:\n  lrsweep-coordinator --listen 0.0.0.0:7077 --tls-cert " << d
            << "/server.pem --tls-key " << d << "/server.key \\\n      --worker-token-file " << d
            << "/worker.token --user-token-file " << d << "/user.token\n"
            << "workers (copy ca.pem and worker.token to each node):\n"
               "  lrsweep-worker --coordinator HOST:7077 --tls-ca ca.pem --token-file "
               "worker.token\n"
            << "users (ca.pem and user.token):\n"
               "  lrsweep --coordinator HOST:7077 --tls-ca ca.pem --token-file user.token status\n"
            << "Keep ca.key offline; the certificate names localhost, 127.0.0.1, ::1"
            << (options.hosts.empty() ? "" : " and " + absl::StrJoin(options.hosts, ", "))
            << ".\n";
  return 0;
}

void WarnAboutShortLeases(const CoordinatorFlags& flags) {
  if (flags.lease_timeout_ms > 0 && flags.lease_timeout_ms < 3 * flags.heartbeat_ms) {
    std::cerr << "warning: --lease-timeout-ms " << flags.lease_timeout_ms
              << " is under three heartbeats (" << 3 * flags.heartbeat_ms
              << " ms at --heartbeat-ms " << flags.heartbeat_ms
              << "): one late heartbeat makes a healthy worker lose its trial. Use at least "
              << 3 * flags.heartbeat_ms << ".\n";
  }
}

absl::StatusOr<std::unique_ptr<Coordinator>> OpenCoordinator(const CoordinatorFlags& flags,
                                                            std::unique_ptr<Store>& store) {
  ASSIGN_OR_RETURN(store, OpenSqliteStore(flags.data_dir + "/lrsweep.db"));
  CoordinatorOptions options;
  options.heartbeat_interval = absl::Milliseconds(flags.heartbeat_ms);
  options.lease_timeout = absl::Milliseconds(
      flags.lease_timeout_ms > 0 ? flags.lease_timeout_ms : 3 * flags.heartbeat_ms);
  options.checkpoint_dir = flags.data_dir + "/checkpoints";
  options.shared_checkpoint_dir = flags.shared_checkpoint_dir;
  return Coordinator::Create(store.get(), options);
}

// The plaintext server of --health-listen: the health service only (grpc.health.v1 is added to
// every server once EnableDefaultHealthCheckService is on).
std::unique_ptr<grpc::Server> StartHealthServer(const std::string& listen) {
  // gRPC refuses to build a server without a service of its own; this one answers every other
  // method UNIMPLEMENTED.
  static grpc::CallbackGenericService* const unimplemented = new grpc::CallbackGenericService;
  grpc::ServerBuilder builder;
  builder.RegisterCallbackGenericService(unimplemented);
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::cerr << "error: --health-listen " << listen << ": " << WhyCannotListen(listen) << "\n";
    return nullptr;
  }
  return server;
}

void WritePortFile(const std::string& port_file, int port) {
  if (port_file.empty()) return;
  const std::string temp = port_file + ".tmp";
  std::ofstream(temp) << port << "\n";
  std::error_code error;
  std::filesystem::rename(temp, port_file, error);
}

// The server of --listen: both services and the health service, with the RPC metrics
// interceptor when `metrics` is set. Null (after saying why) when it cannot listen.
std::unique_ptr<grpc::Server> StartMainServer(const CoordinatorFlags& flags,
                                              const ServerSecurity& security,
                                              const std::vector<grpc::Service*>& services,
                                              CoordinatorMetrics* metrics, int* port) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(flags.listen, security.credentials, port);
  // One owner per port: gRPC would otherwise share it (SO_REUSEPORT) with another coordinator,
  // and clients would reach one or the other at random.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  ApplyServerLimits(builder);
  for (grpc::Service* service : services) builder.RegisterService(service);
  if (metrics != nullptr) {
    builder.experimental().SetInterceptorCreators(metrics->InterceptorCreators());
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || *port == 0) {
    std::cerr << "error: cannot listen on " << flags.listen << ": " << WhyCannotListen(flags.listen)
              << "\n";
    return nullptr;
  }
  return server;
}

// The dashboard of --http-listen and what it reads through, in the order they are built.
struct Dashboard {
  ChangeCounter changes;
  std::unique_ptr<CoordinatorDashboardSource> source;
  std::unique_ptr<DashboardApi> api;
  std::unique_ptr<DashboardServer> server;
};

absl::StatusOr<std::unique_ptr<Dashboard>> StartDashboard(const CoordinatorFlags& flags,
                                                          Coordinator* coordinator,
                                                          TrialLogStore* logs) {
  DashboardServerOptions options;
  options.listen = flags.http_listen;
  options.tls_cert = flags.security.tls_cert;
  options.tls_key = flags.security.tls_key;
  options.insecure = flags.security.insecure;
  if (!flags.security.user_token_files.empty()) {
    ASSIGN_OR_RETURN(TokenAuthorizer tokens,
                     TokenAuthorizer::FromFiles({}, flags.security.user_token_files));
    options.tokens = std::make_shared<const TokenAuthorizer>(std::move(tokens));
  }
  auto dashboard = std::make_unique<Dashboard>();
  dashboard->source =
      std::make_unique<CoordinatorDashboardSource>(coordinator, &dashboard->changes, logs);
  dashboard->api = std::make_unique<DashboardApi>(dashboard->source.get(), &dashboard->changes);
  ASSIGN_OR_RETURN(dashboard->server,
                   DashboardServer::Start(options, dashboard->api.get(), &dashboard->changes));
  return dashboard;
}

// The optional listeners beside the main server: --health-listen, --metrics-listen and
// --http-listen.
struct SideListeners {
  std::unique_ptr<grpc::Server> health;
  std::unique_ptr<MetricsEndpoint> metrics;
  std::unique_ptr<Dashboard> dashboard;
};

absl::StatusOr<SideListeners> StartSideListeners(const CoordinatorFlags& flags,
                                                 const CoordinatorMetrics* metrics,
                                                 Coordinator* coordinator,
                                                 TrialLogStore* logs) {
  SideListeners side;
  if (!flags.health_listen.empty()) {
    side.health = StartHealthServer(flags.health_listen);
    if (side.health == nullptr) return absl::UnavailableError("no health server");
  }
  if (metrics != nullptr) {
    ASSIGN_OR_RETURN(side.metrics, MetricsEndpoint::Start(flags.metrics_listen));
    side.metrics->Register(metrics->registry());
    side.metrics->Register(metrics->state_collector());
  }
  if (!flags.http_listen.empty()) {
    ASSIGN_OR_RETURN(side.dashboard, StartDashboard(flags, coordinator, logs));
    WritePortFile(flags.http_port_file, side.dashboard->server->port());
  }
  return side;
}

std::string Listening(const CoordinatorFlags& flags, int port, const ServerSecurity& security,
                      const SideListeners& side) {
  std::string text = absl::StrCat("serving on ", flags.listen.substr(0, flags.listen.rfind(':')),
                                  ":", port, " (", security.description, "), data in ",
                                  flags.data_dir);
  if (side.health) absl::StrAppend(&text, ", health on ", flags.health_listen);
  if (side.metrics) absl::StrAppend(&text, ", metrics on ", side.metrics->url());
  if (side.dashboard) absl::StrAppend(&text, ", dashboard on ", side.dashboard->server->url());
  return text;
}

int Serve(const CoordinatorFlags& flags) {
  WarnAboutShortLeases(flags);
  absl::StatusOr<ServerSecurity> security = BuildServerSecurity(flags.security, flags.listen);
  if (!security.ok()) {
    std::cerr << "error: " << security.status().message() << "\n";
    return 2;
  }
  std::error_code error;
  std::filesystem::create_directories(flags.data_dir, error);
  if (error) {
    std::cerr << "error: --data-dir " << flags.data_dir << ": " << error.message() << "\n";
    return 2;
  }
  // One owner per data dir, taken before the store opens.
  absl::StatusOr<DataDirLock> lock = DataDirLock::Acquire(flags.data_dir);
  std::unique_ptr<Store> store;
  absl::StatusOr<std::unique_ptr<Coordinator>> coordinator =
      lock.ok() ? OpenCoordinator(flags, store) : lock.status();
  if (!coordinator.ok()) {
    std::cerr << "error: " << coordinator.status().message() << "\n";
    return 1;
  }
  const ArtifactStore artifacts(flags.data_dir + "/artifacts", flags.max_artifact_mb << 20);
  TrialLogStore logs(flags.data_dir + "/logs", kMaxTrialLogBytes);
  SweepServiceImpl sweep_service(coordinator->get(), &artifacts, &logs);
  WorkerServiceImpl worker_service(coordinator->get(), &artifacts, &logs);
  std::unique_ptr<CoordinatorMetrics> metrics;
  if (!flags.metrics_listen.empty()) {
    metrics = std::make_unique<CoordinatorMetrics>(coordinator->get());
  }
  int port = 0;
  std::unique_ptr<grpc::Server> server = StartMainServer(
      flags, *security, {&sweep_service, &worker_service}, metrics.get(), &port);
  absl::StatusOr<SideListeners> side =
      server ? StartSideListeners(flags, metrics.get(), coordinator->get(), &logs)
             : absl::UnavailableError("");
  if (!side.ok()) {
    if (!side.status().message().empty()) std::cerr << "error: " << side.status().message() << "\n";
    return absl::IsInvalidArgument(side.status()) ? 2 : 1;
  }
  const std::string listening = Listening(flags, port, *security, *side);
  lock->Describe("lrsweep-coordinator " + listening);
  WritePortFile(flags.port_file, port);
  std::cerr << "lrsweep-coordinator: " << listening << "\n";

  WaitForTerminationSignal();
  std::cerr << "lrsweep-coordinator: shutting down\n";
  // Probes see NOT_SERVING from here on, so no new work is routed to this process.
  server->GetHealthCheckService()->Shutdown();
  if (side->health) side->health->GetHealthCheckService()->Shutdown();
  // Long-polls are answered first; unary calls finish within milliseconds. gRPC 1.51 then keeps
  // waiting for idle client connections until the deadline, so the deadline is short: anything
  // still in flight after it is cancelled, and its transaction either committed or did not.
  if (side->dashboard) side->dashboard->server->Stop();
  (*coordinator)->Shutdown();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  if (side->health) side->health->Shutdown(std::chrono::system_clock::now());
  return 0;
}

int Main(int argc, char** argv) {
  BlockTerminationSignals();
  CLI::App app{"lrsweep-coordinator: leases sweep trials to workers and keeps their results"};
  CoordinatorFlags flags;
  AddServeOptions(app, flags);
  InitSecretsOptions secrets;
  CLI::App* init_secrets = app.add_subcommand(
      "init-secrets",
      "Write a CA, a server and a client certificate, and a worker and a user token into DIR, "
      "for a coordinator with TLS and tokens (keys and tokens mode 0600)");
  init_secrets->add_option("dir", secrets.dir, "Directory for the files (created 0700)")
      ->required();
  init_secrets->add_option("--host", secrets.hosts,
                           "A DNS name or IP address clients reach the coordinator by (repeat "
                           "it; localhost, 127.0.0.1 and ::1 are always included)");
  if (std::optional<int> exit_code = ParseCommandLine(app, argc, argv)) return *exit_code;
  if (*init_secrets) return RunInitSecrets(secrets);
  return Serve(flags);
}

}  // namespace
}  // namespace lrsweep

int main(int argc, char** argv) { return lrsweep::Main(argc, argv); }
