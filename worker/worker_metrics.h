// WorkerMetrics: what a worker shows Prometheus on --metrics-listen.
//
//   WorkerMetrics metrics;
//   endpoint->Register(metrics.registry());
//   options.metrics = &metrics;          // the agent and its lease sessions report into it
//
// Series (prefixed lrsweep_worker_):
//   steps_total                    counter    optimizer steps trained (all trials)
//   steps_per_second               gauge      over the last second or more of training
//   examples_per_second            gauge      as the trainer measured it at the latest step
//   lr, momentum                   gauge      applied at the latest step
//   step                           gauge      the running trial's latest step
//   checkpoint_duration_seconds    histogram  from a due checkpoint to its storage (serializing,
//                                             writing and uploading)
//   checkpoint_bytes_total         counter    bytes of checkpoints stored
//   checkpoint_failures_total      counter    checkpoints that could not be stored
//   trials_total{outcome}          counter    attempts ended: completed, diverged, failed,
//                                             preempted, stopped, lease_lost
//
// Thread safety: thread-safe. Training reports from its own thread, scrapes read concurrently.
#ifndef LRSWEEP_WORKER_WORKER_METRICS_H_
#define LRSWEEP_WORKER_WORKER_METRICS_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "sweep/records.h"

namespace lrsweep {

class WorkerMetrics {
 public:
  WorkerMetrics();

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  void OnPoint(const MetricPoint& point);
  void OnCheckpoint(int64_t bytes, absl::Duration took, bool stored);
  void OnAttemptEnded(absl::string_view outcome);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Counter& steps_;
  prometheus::Gauge& steps_per_second_;
  prometheus::Gauge& examples_per_second_;
  prometheus::Gauge& lr_;
  prometheus::Gauge& momentum_;
  prometheus::Gauge& step_;
  prometheus::Histogram& checkpoint_seconds_;
  prometheus::Counter& checkpoint_bytes_;
  prometheus::Counter& checkpoint_failures_;
  prometheus::Family<prometheus::Counter>& trials_;

  absl::Mutex mu_;
  // The start of the window steps_per_second is measured over.
  absl::Time window_start_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int64_t window_steps_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace lrsweep

#endif  // LRSWEEP_WORKER_WORKER_METRICS_H_
