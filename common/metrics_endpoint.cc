#include "common/metrics_endpoint.h"

#include <exception>

#include "absl/strings/str_cat.h"

namespace lrsweep {

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    const std::string& listen) {
  const std::string host = listen.substr(0, listen.rfind(':'));
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    // One thread answers scrapes: a scrape every few seconds needs no more.
    exposer = std::make_unique<prometheus::Exposer>(listen, /*num_threads=*/1);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--metrics-listen ", listen, ": cannot listen there (", e.what(),
        "): the port is in use, or the host is not an address of this machine."));
  }
  const std::vector<int> ports = exposer->GetListeningPorts();
  const int port = ports.empty() ? 0 : ports.front();
  return std::unique_ptr<MetricsEndpoint>(new MetricsEndpoint(std::move(exposer), host, port));
}

void MetricsEndpoint::Register(const std::weak_ptr<prometheus::Collectable>& collectable) {
  exposer_->RegisterCollectable(collectable);
}

std::string MetricsEndpoint::url() const {
  return absl::StrCat("http://", host_, ":", port_, "/metrics");
}

}  // namespace lrsweep
