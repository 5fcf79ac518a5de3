#include "coordinator/coordinator_metrics.h"

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "lrsweep/v1/lrsweep.pb.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"
#include "sweep/records.h"

namespace lrsweep {
namespace {

using grpc::experimental::InterceptionHookPoints;

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* const buckets = new prometheus::Histogram::BucketBoundaries{
      0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30};
  return *buckets;
}

// gRPC's canonical code names, indexed by code (0 OK ... 16 UNAUTHENTICATED).
const char* GrpcCodeName(int code) {
  static const char* const kNames[] = {
      "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
      "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
      "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
      "UNAUTHENTICATED"};
  return code >= 0 && code <= 16 ? kNames[code] : "UNKNOWN";
}

const char* WorkerStateName(WorkerState state) {
  switch (state) {
    case WorkerState::kTraining: return "training";
    case WorkerState::kWaiting: return "waiting";
    case WorkerState::kLost: return "lost";
    case WorkerState::kStopped: return "stopped";
  }
  return "unknown";
}

prometheus::MetricFamily GaugeFamily(const std::string& name, const std::string& help,
                                     const std::map<std::string, double>& by_state) {
  prometheus::MetricFamily family{name, help, prometheus::MetricType::Gauge, {}};
  for (const auto& [state, value] : by_state) {
    prometheus::ClientMetric metric;
    metric.label.push_back({"state", state});
    metric.gauge.value = value;
    family.metric.push_back(std::move(metric));
  }
  return family;
}

// The state gauges, read from the coordinator at every scrape (every state listed, zeros too,
// so a dashboard's series never vanish).
class StateCollector final : public prometheus::Collectable {
 public:
  explicit StateCollector(Coordinator* coordinator) : coordinator_(coordinator) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    std::map<std::string, double> trials, sweeps, workers;
    for (TrialState state : {TrialState::kPending, TrialState::kRunning, TrialState::kCompleted,
                             TrialState::kDiverged, TrialState::kFailed, TrialState::kCancelled,
                             TrialState::kPreempted, TrialState::kStopped}) {
      trials[std::string(TrialStateName(state))] = 0;
    }
    for (SweepState state :
         {SweepState::kRunning, SweepState::kFinished, SweepState::kCancelled}) {
      sweeps[std::string(SweepStateName(state))] = 0;
    }
    for (const SweepView& sweep : coordinator_->ListSweeps()) {
      sweeps[std::string(SweepStateName(sweep.record.state))] += 1;
      for (const auto& [state, count] : sweep.counts) {
        trials[std::string(TrialStateName(state))] += static_cast<double>(count);
      }
    }
    for (WorkerState state : {WorkerState::kTraining, WorkerState::kWaiting, WorkerState::kLost,
                              WorkerState::kStopped}) {
      workers[WorkerStateName(state)] = 0;
    }
    for (const WorkerView& worker : coordinator_->ListWorkers()) {
      workers[WorkerStateName(worker.state)] += 1;
    }
    prometheus::MetricFamily leases{"lrsweep_leases", "Leases held by workers",
                                    prometheus::MetricType::Gauge, {prometheus::ClientMetric{}}};
    leases.metric.front().gauge.value = workers["training"];
    return {GaugeFamily("lrsweep_trials", "Trials of every sweep, by state", trials),
            GaugeFamily("lrsweep_sweeps", "Sweeps, by state", sweeps),
            GaugeFamily("lrsweep_workers", "Registered workers, by state", workers),
            std::move(leases)};
  }

 private:
  Coordinator* const coordinator_;
};

// Times one call and reports it when its status is sent. Hand-offs and checkpoint bytes are read
// from the messages of the methods that carry them.
class RpcMetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  RpcMetricsInterceptor(absl::string_view method, CoordinatorMetrics* metrics)
      : method_(absl::StripPrefix(method, "/lrsweep.v1.")), metrics_(metrics) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE)) {
      OnReceived(methods->GetRecvMessage());
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_MESSAGE) &&
        method_ == "WorkerService/AcquireLease") {
      const auto* response =
          static_cast<const v1::AcquireLeaseResponse*>(methods->GetSendMessage());
      granted_ = response != nullptr && response->has_lease();
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      OnFinished(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void OnReceived(void* message) {
    if (message == nullptr) return;
    if (method_ == "WorkerService/UploadCheckpoint") {
      const auto* chunk = static_cast<v1::CheckpointChunk*>(message);
      upload_bytes_ += static_cast<int64_t>(chunk->data().size());
    } else if (method_ == "WorkerService/RegisterCheckpoint") {
      const auto* request = static_cast<v1::RegisterCheckpointRequest*>(message);
      worker_failure_ = !request->error().empty();
      registered_bytes_ = request->size();
    }
  }

  void OnFinished(grpc::StatusCode code) {
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start_);
    metrics_->OnRpc(method_, code, seconds);
    if (granted_ && code == grpc::StatusCode::OK) metrics_->OnHandoff(seconds);
    const bool upload = method_ == "WorkerService/UploadCheckpoint";
    const bool registered = method_ == "WorkerService/RegisterCheckpoint";
    if (worker_failure_ || ((upload || registered) && code != grpc::StatusCode::OK)) {
      metrics_->OnCheckpointFailure();
    } else if (upload || registered) {
      metrics_->OnCheckpointStored(upload ? upload_bytes_ : registered_bytes_);
    }
  }

  const std::string method_;
  CoordinatorMetrics* const metrics_;
  const absl::Time start_ = absl::Now();
  bool granted_ = false;
  bool worker_failure_ = false;
  int64_t upload_bytes_ = 0;
  int64_t registered_bytes_ = 0;
};

class RpcMetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RpcMetricsInterceptorFactory(CoordinatorMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new RpcMetricsInterceptor(info->method(), metrics_);
  }

 private:
  CoordinatorMetrics* const metrics_;
};

}  // namespace

CoordinatorMetrics::CoordinatorMetrics(Coordinator* coordinator)
    : registry_(std::make_shared<prometheus::Registry>()),
      state_(std::make_shared<StateCollector>(coordinator)),
      rpcs_(prometheus::BuildCounter()
                .Name("lrsweep_rpcs_total")
                .Help("RPCs answered, by method and status code")
                .Register(*registry_)),
      rpc_seconds_(prometheus::BuildHistogram()
                       .Name("lrsweep_rpc_duration_seconds")
                       .Help("Time from a call's arrival to its status, by method")
                       .Register(*registry_)),
      handoffs_(prometheus::BuildCounter()
                    .Name("lrsweep_handoffs_total")
                    .Help("AcquireLease calls answered with a lease")
                    .Register(*registry_)
                    .Add({})),
      handoff_seconds_(prometheus::BuildHistogram()
                           .Name("lrsweep_handoff_duration_seconds")
                           .Help("From a worker's AcquireLease to its lease (long-poll waiting "
                                 "for work included)")
                           .Register(*registry_)
                           .Add({}, LatencyBuckets())),
      checkpoint_bytes_(prometheus::BuildCounter()
                            .Name("lrsweep_checkpoint_bytes_total")
                            .Help("Checkpoint bytes stored (uploaded or registered)")
                            .Register(*registry_)
                            .Add({})),
      checkpoint_failures_(prometheus::BuildCounter()
                               .Name("lrsweep_checkpoint_failures_total")
                               .Help("Checkpoint uploads refused, and failures workers reported")
                               .Register(*registry_)
                               .Add({})) {}

std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
CoordinatorMetrics::InterceptorCreators() {
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
  creators.push_back(std::make_unique<RpcMetricsInterceptorFactory>(this));
  return creators;
}

void CoordinatorMetrics::OnRpc(absl::string_view method, int code, double seconds) {
  const std::string name(method);
  rpcs_.Add({{"method", name}, {"code", GrpcCodeName(code)}}).Increment();
  rpc_seconds_.Add({{"method", name}}, LatencyBuckets()).Observe(seconds);
}

void CoordinatorMetrics::OnHandoff(double seconds) {
  handoffs_.Increment();
  handoff_seconds_.Observe(seconds);
}

void CoordinatorMetrics::OnCheckpointStored(int64_t bytes) {
  checkpoint_bytes_.Increment(static_cast<double>(bytes));
}

void CoordinatorMetrics::OnCheckpointFailure() { checkpoint_failures_.Increment(); }

}  // namespace lrsweep
