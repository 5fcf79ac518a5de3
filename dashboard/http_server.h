// The dashboard over HTTP: its pages, their scripts (compiled in; no network needed) and the JSON
// API (dashboard_api.h), served by cpp-httplib from a pool of threads.
//
//   ASSIGN_OR_RETURN(auto server, DashboardServer::Start(options, &api));
//   std::cout << "dashboard: " << server->url() << "\n";
//   ...
//   server->Stop();
//
// Security follows the gRPC port's rules (server_security.h): on loopback nothing is needed; on
// any other address the server needs TLS (`tls_cert`/`tls_key`) and user tokens, unless
// `insecure`. With tokens every /api/ call must carry `Authorization: Bearer <user token>`
// (401 without it). The pages themselves hold no data; they read a token from the URL fragment
// (`#token=...`, which browsers never send to a server, so it is in no log) or ask for one.
//
// Thread safety: thread-safe. Stop() answers the long-polls in flight and joins the threads.
#ifndef LRSWEEP_DASHBOARD_HTTP_SERVER_H_
#define LRSWEEP_DASHBOARD_HTTP_SERVER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "coordinator/token_auth.h"
#include "dashboard/dashboard_api.h"

namespace httplib {
class Server;
}

namespace lrsweep {

struct DashboardServerOptions {
  std::string listen = "127.0.0.1:0";  // HOST:PORT; port 0 picks a free one
  std::string tls_cert;                 // PEM files; both or neither
  std::string tls_key;
  std::shared_ptr<const TokenAuthorizer> tokens;  // null: no token needed
  bool insecure = false;  // allow a non-loopback address without TLS and tokens
};

class DashboardServer {
 public:
  // Binds and starts serving. INVALID_ARGUMENT naming --http-listen when a security rule is
  // broken; UNAVAILABLE when the address cannot be bound. `api` and `changes` must outlive the
  // server.
  static absl::StatusOr<std::unique_ptr<DashboardServer>> Start(
      const DashboardServerOptions& options, DashboardApi* api, ChangeCounter* changes);
  ~DashboardServer();

  int port() const { return port_; }
  // "http://127.0.0.1:PORT/" (https with TLS).
  std::string url() const;
  void Stop();

 private:
  DashboardServer() = default;
  void AddRoutes(DashboardApi* api);

  std::unique_ptr<httplib::Server> server_;
  ChangeCounter* changes_ = nullptr;
  std::shared_ptr<const TokenAuthorizer> tokens_;
  std::string host_;
  bool tls_ = false;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace lrsweep

#endif  // LRSWEEP_DASHBOARD_HTTP_SERVER_H_
