// MetricsEndpoint: a Prometheus scrape endpoint (http://HOST:PORT/metrics) for one process.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<MetricsEndpoint> endpoint,
//                    MetricsEndpoint::Start("0.0.0.0:9090"));       // --metrics-listen
//   auto registry = std::make_shared<prometheus::Registry>();
//   endpoint->Register(registry);    // kept by weak reference: keep `registry` alive
//   std::cerr << "metrics on " << endpoint->url() << "\n";
//
// The coordinator and the worker each start one when asked (--metrics-listen); the text format
// is prometheus-cpp's (Debian's prometheus-cpp-dev), served by its embedded HTTP server.
//
// Thread safety: thread-safe; scrapes run on the server's own threads and call the registered
// collectables concurrently with the process's updates.
#ifndef LRSWEEP_COMMON_METRICS_ENDPOINT_H_
#define LRSWEEP_COMMON_METRICS_ENDPOINT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "prometheus/collectable.h"
#include "prometheus/exposer.h"

namespace lrsweep {

class MetricsEndpoint {
 public:
  // Listens on `listen` (HOST:PORT; port 0 picks a free one). INVALID_ARGUMENT when it cannot
  // (in use, not an address of this machine), naming the address.
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(const std::string& listen);

  void Register(const std::weak_ptr<prometheus::Collectable>& collectable);
  int port() const { return port_; }
  // http://HOST:PORT/metrics, with the bound port.
  std::string url() const;

 private:
  MetricsEndpoint(std::unique_ptr<prometheus::Exposer> exposer, std::string host, int port)
      : exposer_(std::move(exposer)), host_(std::move(host)), port_(port) {}

  std::unique_ptr<prometheus::Exposer> exposer_;
  std::string host_;
  int port_;
};

}  // namespace lrsweep

#endif  // LRSWEEP_COMMON_METRICS_ENDPOINT_H_
