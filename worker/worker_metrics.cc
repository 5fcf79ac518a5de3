#include "worker/worker_metrics.h"

#include <string>

#include "absl/time/clock.h"

namespace lrsweep {
namespace {

prometheus::Gauge& NewGauge(prometheus::Registry& registry, const std::string& name,
                            const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({});
}

prometheus::Counter& NewCounter(prometheus::Registry& registry, const std::string& name,
                                const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add({});
}

constexpr absl::Duration kRateWindow = absl::Seconds(1);

}  // namespace

WorkerMetrics::WorkerMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      steps_(NewCounter(*registry_, "lrsweep_worker_steps_total", "Optimizer steps trained")),
      steps_per_second_(NewGauge(*registry_, "lrsweep_worker_steps_per_second",
                                 "Optimizer steps per second over the last second or more")),
      examples_per_second_(NewGauge(*registry_, "lrsweep_worker_examples_per_second",
                                    "Training examples per second at the latest step")),
      lr_(NewGauge(*registry_, "lrsweep_worker_lr", "Learning rate applied at the latest step")),
      momentum_(NewGauge(*registry_, "lrsweep_worker_momentum",
                         "Momentum (or Adam beta1) applied at the latest step, when cycled")),
      step_(NewGauge(*registry_, "lrsweep_worker_step", "The running trial's latest step")),
      checkpoint_seconds_(
          prometheus::BuildHistogram()
              .Name("lrsweep_worker_checkpoint_duration_seconds")
              .Help("From a due checkpoint to its storage: serializing, writing, uploading")
              .Register(*registry_)
              .Add({}, prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.02, 0.05, 0.1,
                                                               0.2, 0.5, 1, 2, 5, 10, 30, 60})),
      checkpoint_bytes_(NewCounter(*registry_, "lrsweep_worker_checkpoint_bytes_total",
                                   "Bytes of checkpoints stored")),
      checkpoint_failures_(NewCounter(*registry_, "lrsweep_worker_checkpoint_failures_total",
                                      "Checkpoints that could not be stored")),
      trials_(prometheus::BuildCounter()
                  .Name("lrsweep_worker_trials_total")
                  .Help("Trial attempts ended on this worker, by outcome")
                  .Register(*registry_)) {}

void WorkerMetrics::OnPoint(const MetricPoint& point) {
  steps_.Increment();
  step_.Set(static_cast<double>(point.step));
  lr_.Set(point.lr);
  if (point.momentum) momentum_.Set(*point.momentum);
  if (point.examples_per_second > 0) examples_per_second_.Set(point.examples_per_second);
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  ++window_steps_;
  if (window_start_ == absl::InfinitePast()) {
    window_start_ = now;
    window_steps_ = 0;
  } else if (now - window_start_ >= kRateWindow) {
    steps_per_second_.Set(window_steps_ / absl::ToDoubleSeconds(now - window_start_));
    window_start_ = now;
    window_steps_ = 0;
  }
}

void WorkerMetrics::OnCheckpoint(int64_t bytes, absl::Duration took, bool stored) {
  if (!stored) {
    checkpoint_failures_.Increment();
    return;
  }
  checkpoint_bytes_.Increment(static_cast<double>(bytes));
  checkpoint_seconds_.Observe(absl::ToDoubleSeconds(took));
}

void WorkerMetrics::OnAttemptEnded(absl::string_view outcome) {
  trials_.Add({{"outcome", std::string(outcome)}}).Increment();
  // Between trials nothing trains: the rate starts afresh with the next one.
  steps_per_second_.Set(0);
  absl::MutexLock lock(&mu_);
  window_start_ = absl::InfinitePast();
}

}  // namespace lrsweep
