// CoordinatorMetrics: what a coordinator shows Prometheus on --metrics-listen.
//
//   auto metrics = std::make_shared<CoordinatorMetrics>(coordinator);
//   builder.experimental().SetInterceptorCreators(metrics->InterceptorCreators());
//   endpoint->Register(metrics->registry());
//
// Series (all prefixed lrsweep_):
//   trials{state}                          gauge    trials of every sweep by state (at scrape)
//   sweeps{state}                          gauge    sweeps by state
//   workers{state}                         gauge    registered workers: training, waiting, lost,
//                                                   stopped
//   leases                                 gauge    leases held (= workers training)
//   rpcs_total{method,code}                counter  every RPC answered, by method and status code
//   rpc_duration_seconds{method}           histogram
//   handoffs_total                         counter  AcquireLease calls answered with a lease
//   handoff_duration_seconds               histogram from a worker's AcquireLease to its lease,
//                                                   long-poll waiting for work included
//   checkpoint_bytes_total                 counter  checkpoint bytes stored (uploaded or
//                                                   registered in the shared directory)
//   checkpoint_failures_total              counter  uploads refused and failures workers report
//
// The RPC series come from a gRPC server interceptor, so the services and the coordinator's core
// know nothing of Prometheus; the state gauges are read from the Coordinator at each scrape.
//
// Thread safety: thread-safe (prometheus-cpp's metrics are; the Coordinator is).
#ifndef LRSWEEP_COORDINATOR_COORDINATOR_METRICS_H_
#define LRSWEEP_COORDINATOR_COORDINATOR_METRICS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "coordinator/coordinator.h"
#include "grpcpp/support/server_interceptor.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace lrsweep {

class CoordinatorMetrics {
 public:
  // `coordinator` is not owned and must outlive this object and every scrape.
  explicit CoordinatorMetrics(Coordinator* coordinator);

  // The registry of the RPC series; the state gauges are a second collectable.
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }
  std::shared_ptr<prometheus::Collectable> state_collector() const { return state_; }

  // For ServerBuilder::experimental().SetInterceptorCreators: one interceptor per call.
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
  InterceptorCreators();

  // What the interceptor reports when a call ends.
  void OnRpc(absl::string_view method, int code, double seconds);
  void OnHandoff(double seconds);
  void OnCheckpointStored(int64_t bytes);
  void OnCheckpointFailure();

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<prometheus::Collectable> state_;
  prometheus::Family<prometheus::Counter>& rpcs_;
  prometheus::Family<prometheus::Histogram>& rpc_seconds_;
  prometheus::Counter& handoffs_;
  prometheus::Histogram& handoff_seconds_;
  prometheus::Counter& checkpoint_bytes_;
  prometheus::Counter& checkpoint_failures_;
};

}  // namespace lrsweep

#endif  // LRSWEEP_COORDINATOR_COORDINATOR_METRICS_H_
