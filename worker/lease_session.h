// LeaseSession: the link between a running trial and the coordinator for one lease.
//
// The trainer reports to it (it is the trainer's TrainingObserver): metric points are sent in
// batches (every 64 points or second, never one RPC per step), checkpoints are stored when due
// through the worker's CheckpointStore, and a thread of its own heartbeats the lease. It tells the
// trainer to stop when the coordinator says STOP (the trial was cancelled) or the lease is lost
// (IsLeaseLost: it expired and the trial went elsewhere), and to checkpoint and give the trial
// back when the worker is shutting down. It talks to the coordinator only through the
// CoordinatorLink, so a unit test drives it with a fake.
//
//   LeaseSession session(link, lease, heartbeat_interval, &stopping, &config, store);
//   session.StartedAt(trainer.step());
//   absl::StatusOr<TrainOutcome> outcome = trainer.Train(&session);
//   session.Flush();
//   std::vector<MetricPoint> unsent = session.TakeBuffer();  // sent with the outcome
//
// Thread safety: the TrainingObserver methods, Flush and TakeBuffer run on the training thread;
// the heartbeat thread only reads the lease and sets the stop and lost flags, which are atomic.
#ifndef LRSWEEP_WORKER_LEASE_SESSION_H_
#define LRSWEEP_WORKER_LEASE_SESSION_H_

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sweep/lease.h"
#include "worker/checkpoint_store.h"
#include "worker/coordinator_link.h"
#include "worker/trainer.h"
#include "worker/trial_config.h"
#include "worker/worker_metrics.h"

namespace lrsweep {

class LeaseSession : public TrainingObserver {
 public:
  // `link`, `shutdown`, `config` (may be null: no periodic checkpoints) and `checkpoints` are not
  // owned and must outlive the session. `shutdown` set means: checkpoint and give the trial back.
  // `metrics` (may be null) is told of every point and checkpoint.
  LeaseSession(CoordinatorLink* link, const LeaseRef& lease, absl::Duration heartbeat_interval,
               const std::atomic<bool>* shutdown, const TrialConfig* config,
               CheckpointStore* checkpoints, WorkerMetrics* metrics = nullptr);
  // Stops the heartbeat thread.
  ~LeaseSession() override;

  // --- TrainingObserver ---
  void OnPoint(const MetricPoint& point) override;
  StopRequest ShouldStop() override;
  bool CheckpointDue(int64_t step) override;
  // Stores the checkpoint. It is committed only after every metric point before it was
  // acknowledged: a resume never re-logs those steps.
  void OnCheckpoint(int64_t step, std::string bytes) override;

  // The step the trial starts (or resumes) at: the next checkpoint is due an interval after it.
  void StartedAt(int64_t step);
  // Sends buffered points; keeps them when the coordinator is unreachable.
  void Flush();
  // The points not yet acknowledged, for the final CompleteTrial.
  std::vector<MetricPoint> TakeBuffer() { return std::move(buffer_); }

  bool stopped() const { return stop_.load(); }  // STOP, or the lease was lost
  bool lost() const { return lost_.load(); }
  int64_t stored_step() const { return stored_step_; }  // the last checkpoint stored; -1: none

 private:
  // Marks the lease lost when the coordinator answered so.
  void Handle(const absl::Status& status);
  // After a checkpoint could not be stored (a full disk, an unreachable coordinator), the next
  // try comes a tenth of the interval later rather than at every step: taking a checkpoint costs
  // a serialization of the model, and a disk that is full now is rarely free one step later.
  void RetryCheckpointLater(int64_t step);
  // OnCheckpoint's work: flushes the metrics before it, then stores the checkpoint.
  absl::Status Store(int64_t step, std::string bytes);
  void HeartbeatLoop(absl::Duration interval);

  CoordinatorLink* const link_;
  const LeaseRef lease_;
  const std::atomic<bool>* const shutdown_;
  const TrialConfig* const config_;
  WorkerMetrics* const metrics_;
  // When the pending checkpoint became due (CheckpointDue said so): its duration starts there.
  std::optional<absl::Time> checkpoint_due_since_;
  CheckpointStore* const checkpoints_;
  int64_t last_checkpoint_step_ = 0;
  absl::Time last_checkpoint_time_ = absl::Now();
  int64_t stored_step_ = -1;
  struct Retry {
    int64_t step;
    absl::Time time;
  };
  std::optional<Retry> retry_;  // set while checkpoints fail
  std::vector<MetricPoint> buffer_;
  absl::Time last_flush_ = absl::Now();
  std::atomic<bool> stop_{false};
  std::atomic<bool> lost_{false};
  absl::Mutex mu_;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;  // the session is over: the heartbeat thread ends
  // Cancels a heartbeat in flight when the session ends: one stuck on an unreachable coordinator
  // must not hold up the trial's report.
  CallCanceller heartbeat_call_;
  std::thread heartbeat_;
};

}  // namespace lrsweep

#endif  // LRSWEEP_WORKER_LEASE_SESSION_H_
