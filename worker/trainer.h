// Trainer: trains one trial with LibTorch, the schedule library setting the LR (and momentum) of
// every optimizer step.
//
// The loop is plain (pytorch/examples style): Train() runs optimizer steps until the trial's
// total_steps, Evaluate() measures loss and accuracy under NoGradGuard. Each optimizer step
// accumulates `accumulate` micro-batches, clips the gradient norm if asked, applies the
// schedule's LR for that step and advances the schedule once. Epoch-unit schedules advance per
// epoch (the Schedule maps steps to epochs); plateau receives the validation loss (mode min) or
// accuracy (mode max) at each epoch end (unit: epoch) or the training loss each step (unit: step).
// A NaN/Inf loss, or a loss above divergence_factor x its first value, ends the trial as diverged
// with the step and LR: for an LR sweep that is a result.
//
// Determinism: the weights come from torch's generator seeded with the trial seed; the batch
// order of epoch e is a portable permutation seeded by (seed, e). Same seed, device and thread
// count give the same numbers.
//
//   Trainer trainer(config, data, TrainerOptions{.device = torch::kCPU});
//   ASSIGN_OR_RETURN(TrainOutcome outcome, trainer.Train(&observer));
//
// Thread safety: not thread-safe; one Trainer per thread. The observer is called on the
// training thread.
#ifndef LRSWEEP_WORKER_TRAINER_H_
#define LRSWEEP_WORKER_TRAINER_H_

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "sweep/records.h"
#include "schedule/schedule.h"
#include "torch/torch.h"
#include "worker/augment.h"
#include "worker/data.h"
#include "worker/trainable_model.h"
#include "worker/trial_config.h"

namespace lrsweep {

struct TrainerOptions {
  torch::Device device = torch::kCPU;
  double divergence_factor = 4.0;
  int64_t eval_batch_size = 1000;
};

enum class StopRequest {
  kNone,
  kStop,     // stop now, no result (the trial was cancelled or the lease lost)
  kPreempt,  // checkpoint at this step boundary, then stop (SIGTERM, spot reclaim)
};

// Receives the training's progress.
class TrainingObserver {
 public:
  virtual ~TrainingObserver() = default;
  // Every optimizer step's point; evaluation results ride on the point of the step they follow.
  virtual void OnPoint(const MetricPoint& point) = 0;
  // Polled at every step boundary.
  virtual StopRequest ShouldStop() = 0;
  // Polled at every step boundary (after the step's point): true asks for a checkpoint, which
  // is handed to OnCheckpoint. `step` is the number of optimizer steps done.
  virtual bool CheckpointDue(int64_t step) { return false; }
  virtual void OnCheckpoint(int64_t step, std::string bytes) {}
};

struct TrainOutcome {
  bool diverged = false;
  std::string reason;  // for a divergence: the step, loss and LR
  MetricPoint last;    // the final point (with test accuracy when completed)
};

struct Evaluation {
  double loss = 0.0;
  std::optional<double> accuracy;  // classification only
};

class Trainer {
 public:
  Trainer(TrialConfig config, std::shared_ptr<const DataSplits> data, TrainerOptions options);

  // Builds (or loads) the model, the optimizer and the schedule, and runs the model on one batch
  // to check that its output fits the loss and the targets. InvalidArgument naming the model,
  // the data file and the key otherwise, or for a plan that does not resolve.
  absl::Status Init();
  // Trains to the end (or until the observer stops it: CANCELLED, or ABORTED after a preemption
  // checkpoint). Exceptions from LibTorch become INTERNAL errors naming the trial and step.
  absl::StatusOr<TrainOutcome> Train(TrainingObserver* observer);

  // Everything needed to continue exactly from the current step boundary: model, optimizer,
  // schedule, RNG states, data position, step and the fencing token of the lease writing it.
  absl::StatusOr<std::string> Checkpoint(int64_t fencing_token);
  // Continues from a checkpoint of this trial (after Init()). DATA_LOSS for a torn or corrupted
  // file, FAILED_PRECONDITION for one of another trial or configuration.
  absl::Status Restore(const std::string& bytes);
  int64_t step() const { return step_; }
  // The fencing token written into checkpoints taken during Train().
  void set_fencing_token(int64_t token) { current_fencing_token_ = token; }
  Evaluation Evaluate(const Dataset& data);

  TrainableModel& model() { return *model_; }
  // The LR each optimizer param group trains with now (the default group first, then the
  // sweep's param_groups in order).
  std::vector<double> GroupLrs() const;

 private:
  absl::StatusOr<TrainOutcome> TrainLoop(TrainingObserver* observer);
  // One optimizer step at the current position of the epoch's `order`, its point handed to the
  // observer and kept in `outcome`; a divergence sets outcome->diverged. True when the step
  // ended the epoch.
  bool TrainStep(const torch::Tensor& order, TrainingObserver* observer, TrainOutcome* outcome);
  // Validation (and, after the last step, test) metrics where due; plateau fed at epoch ends.
  void EvaluateAfterStep(bool epoch_ends, MetricPoint* point);
  std::string DivergenceReason(double lr, double loss) const;
  absl::Status BuildModel();
  // The optimizer over the model's parameters, in the sweep's param groups.
  absl::Status BuildOptimizer();
  // One forward pass in eval mode without gradients: the output fits the loss and targets.
  absl::Status ProbeOneBatch();
  // The loss summed over the batch's examples (each example's loss is its mean over elements);
  // `output`, when given, receives the model's output (not for loss: method).
  torch::Tensor SummedLoss(const torch::Tensor& inputs, const torch::Tensor& targets,
                           torch::Tensor* output = nullptr);
  // One optimizer step over micro-batches [begin, end) of `order`; returns the mean loss.
  double OptimizerStep(const torch::Tensor& order, int64_t begin, int64_t end);
  void ApplySchedule();
  // The epoch's data order (a portable permutation), on the training device.
  torch::Tensor EpochOrder(int64_t epoch) const;
  bool IsPlateauByStep() const;
  void FeedPlateauAtEpochEnd(const Evaluation& eval);

  TrialConfig config_;
  std::shared_ptr<const DataSplits> data_;
  TrainerOptions options_;
  std::unique_ptr<TrainableModel> model_;
  // The model's trainable parameters, collected once (walking a TorchScript module per step would
  // put name strings on the training path).
  std::vector<torch::Tensor> parameters_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  // The micro-batch being trained on, gathered from the training set (reused every step).
  torch::Tensor batch_inputs_;
  torch::Tensor batch_targets_;
  BatchAugmenter augmenter_;  // train.data.augment, applied to each gathered micro-batch
  std::vector<double> group_lr_scales_;  // per optimizer param group: lr = schedule lr x scale
  bool classification_ = true;          // accuracy is measured
  std::unique_ptr<Schedule> schedule_;
  // Where training stands: resumable state, all saved in checkpoints.
  int64_t step_ = 0;
  int64_t epoch_ = 0;
  int64_t position_ = 0;  // examples of epoch_'s order already trained on
  std::optional<double> first_loss_;
  // Training time: what the restored checkpoint had trained (earlier attempts), plus the time
  // since this Train() started. A checkpoint records the sum; nothing is added twice.
  double WallSeconds() const;
  double wall_offset_ = 0;
  std::chrono::steady_clock::time_point train_started_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_point_ = train_started_;  // for examples/s
  int64_t current_fencing_token_ = 0;
  size_t last_checkpoint_size_ = 0;  // to size the next checkpoint's bytes up front
};

}  // namespace lrsweep

#endif  // LRSWEEP_WORKER_TRAINER_H_
