// The worker's own trainer: optimizer steps per second for a model, batch size and thread count,
// on synthetic data held in memory; and the worker's overhead (metric batching into protobuf and
// checkpoints every 100 steps) against the bare loop. Prints one JSON line.
//
//   trainer_bench --model cnn --batch 32 --threads 1 --steps 200 [--overhead]
#include <chrono>
#include <iostream>

#include "CLI/CLI.hpp"
#include "rpc/rpc_convert.h"
#include "sweep/sweep_planner.h"
#include "nlohmann/json.hpp"
#include "worker/trainer.h"

namespace lrsweep {
namespace {

using Clock = std::chrono::steady_clock;

// Records when each step ended; optionally does what the worker's session does per step.
class TimingObserver : public TrainingObserver {
 public:
  explicit TimingObserver(bool worker_work) : worker_work_(worker_work) {}
  void OnPoint(const MetricPoint& point) override {
    const Clock::time_point now = Clock::now();
    times.push_back(now);
    if (worker_work_) {
      *batch_.add_points() = ToProto(point);
      if (batch_.points_size() >= 64) batch_.Clear();
      work_seconds += Seconds(now);
    }
  }
  StopRequest ShouldStop() override { return StopRequest::kNone; }
  bool CheckpointDue(int64_t step) override {
    due_ = Clock::now();
    return worker_work_ && step % 100 == 0;
  }
  void OnCheckpoint(int64_t, std::string bytes) override {
    checkpoint_bytes += bytes.size();
    work_seconds += Seconds(due_);  // the trainer's Checkpoint() ran in between
  }
  std::vector<Clock::time_point> times;
  size_t checkpoint_bytes = 0;
  // Time spent on the worker's per-step work and checkpoints, measured where it happens: on a
  // shared 2-core machine this share is steadier than a difference of two runs' speeds.
  double work_seconds = 0;

 private:
  static double Seconds(Clock::time_point since) {
    return std::chrono::duration<double>(Clock::now() - since).count();
  }
  bool worker_work_;
  Clock::time_point due_;
  v1::ReportMetricsRequest batch_;
};

int Main(int argc, char** argv) {
  CLI::App app{"trainer_bench"};
  std::string model = "mlp";
  int batch = 32, threads = 1;
  int64_t steps = 200;
  bool overhead = false;
  app.add_option("--model", model);
  app.add_option("--batch", batch);
  app.add_option("--threads", threads);
  app.add_option("--steps", steps);
  app.add_flag("--overhead", overhead, "measure with the worker's per-step work");
  CLI11_PARSE(app, argc, argv);
  torch::set_num_threads(threads);

  const int64_t examples = std::max<int64_t>(4096, batch * (steps + 10));
  const std::string yaml = "name: bench\ntrain:\n  model: {type: " + model +
                           (model == "mlp" ? ", hidden: [256, 128]" : "") +
                           "}\n  data: {type: synthetic, val_fraction: 0.0, train_examples: " +
                           std::to_string(examples) + ", test_examples: 256}\n"
                           "  optimizer: {type: sgd, momentum: 0.9}\n  steps: " +
                           std::to_string(steps) + "\n  batch_size: " + std::to_string(batch) +
                           "\n  eval_every_steps: 1000000\nschedule: {type: onecycle, lr: 0.05}\n";
  absl::StatusOr<SweepSpec> sweep = ParseSweep(yaml, "bench.yaml");
  absl::StatusOr<SweepPlan> plan = sweep.ok() ? PlanSweep(*sweep) : sweep.status();
  if (!plan.ok()) {
    std::cerr << plan.status() << "\n";
    return 1;
  }
  absl::StatusOr<TrialConfig> config = ParseTrialConfig(TrialPlanToJson(plan->trials[0]).dump());
  auto data = LoadData(config->train.data, torch::kCPU);
  Trainer trainer(*config, *data, TrainerOptions{});
  if (!trainer.Init().ok() || !data.ok()) return 1;
  TimingObserver observer(overhead);
  if (!trainer.Train(&observer).ok()) return 1;
  // Steady state: from the end of step 0 to the end of the step before the last (which also
  // evaluates validation and test).
  const size_t n = observer.times.size();
  const double seconds =
      std::chrono::duration<double>(observer.times[n - 2] - observer.times[0]).count();
  nlohmann::ordered_json result = {{"model", model}, {"batch", batch}, {"threads", threads},
                                   {"steps", steps}, {"overhead", overhead},
                                   {"steps_per_second", double(n - 2) / seconds}};
  if (overhead) result["worker_work_share"] = observer.work_seconds / seconds;
  std::cout << result.dump() << std::endl;
  return 0;
}

}  // namespace
}  // namespace lrsweep

int main(int argc, char** argv) { return lrsweep::Main(argc, argv); }
