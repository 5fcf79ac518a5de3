// Coordinator: the gRPC-free core of lrsweep-coordinator.
//
// It owns the live state of every sweep — which trials are pending, which worker leases which
// trial, until when — and persists every transition through the Store before acknowledging it.
// The gRPC services (service.h) only unpack requests and call these methods.
//
// Leases: AcquireLease hands an idle worker the next pending trial at once, or parks the request
// (long-poll) until work appears or its wait ends; no polling interval. Each grant increments the
// trial's attempt counter, which is the lease's fencing token; every later report must carry it,
// and a stale one is FAILED_PRECONDITION. A lease not renewed by a heartbeat within lease_timeout
// sends its trial back to PENDING. A failure is retried until max_failures.
//
//   ASSIGN_OR_RETURN(auto store, OpenSqliteStore(dir + "/lrsweep.db"));
//   ASSIGN_OR_RETURN(auto coordinator, Coordinator::Create(store.get(), CoordinatorOptions{}));
//   ASSIGN_OR_RETURN(SubmitResult submitted, coordinator->SubmitSweep(yaml, "sweep.yaml"));
//
// Thread safety: thread-safe. Callbacks (lease grants, change notifications) run without the
// coordinator's lock held, on the calling thread or on its internal timer thread.
#ifndef LRSWEEP_COORDINATOR_COORDINATOR_H_
#define LRSWEEP_COORDINATOR_COORDINATOR_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "coordinator/records.h"
#include "coordinator/store.h"

namespace lrsweep {

struct CoordinatorOptions {
  absl::Duration heartbeat_interval = absl::Seconds(2);
  absl::Duration lease_timeout = absl::Seconds(6);  // ~3 heartbeats
  absl::Duration max_lease_wait = absl::Seconds(30);
  // Where uploaded checkpoints are kept: DIR/<sweep>/<trial>/step-<step>.ckpt.
  std::string checkpoint_dir = "checkpoints";
  // The shared checkpoint directory as this machine mounts it, if it does: checkpoints that
  // workers register there are then verified, served to workers without it, and garbage-collected
  // here. Empty: the coordinator trusts the workers' digests, and workers delete the files.
  std::string shared_checkpoint_dir;
};

struct SubmitResult {
  std::string sweep_id;
  int64_t total_trials = 0;
  std::vector<std::string> warnings;
};

struct SweepView {
  SweepRecord record;
  std::map<TrialState, int64_t> counts;
  int64_t total_trials = 0;
};

enum class WorkerState {
  kTraining,  // holds a lease (its heartbeats keep it)
  kWaiting,   // long-polling for work, or between two requests
  kLost,      // silent for longer than the lease timeout
};

struct WorkerView {
  WorkerRecord record;
  WorkerState state = WorkerState::kLost;
  std::string sweep_id;  // of the lease it holds, if any
  int64_t trial = -1;
};

struct LeaseGrant {
  std::string sweep_id;
  int64_t trial = 0;
  int64_t fencing_token = 0;
  std::string plan_json;
  std::vector<CheckpointRecord> checkpoints;  // committed checkpoints, newest first
};

// A checkpoint a worker wrote into the shared checkpoint directory itself.
struct SharedCheckpoint {
  int64_t step = 0;
  std::string shared_path;  // relative to the shared directory
  std::string sha256_hex;
  int64_t size = 0;
};

struct RegisteredCheckpoint {
  bool verified = false;  // the coordinator read the file and checked its size and digest
  // The trial's committed checkpoints in the shared directory, relative to it: every other
  // checkpoint file of the trial there is garbage.
  std::vector<std::string> kept_shared_paths;
};

struct LeaseRef {
  std::string worker_id;
  std::string sweep_id;
  int64_t trial = 0;
  int64_t fencing_token = 0;
};

enum class Directive { kContinue, kStop, kPreempt };

// Called once with the grant, nullopt when the wait ended without work, or an error.
using LeaseCallback = std::function<void(absl::StatusOr<std::optional<LeaseGrant>>)>;

class Coordinator {
 public:
  // Loads every sweep and worker from `store` (not owned; must outlive the coordinator). Trials
  // that were RUNNING keep running: their leases get a fresh lease_timeout to be renewed in.
  static absl::StatusOr<std::unique_ptr<Coordinator>> Create(Store* store,
                                                             CoordinatorOptions options);
  ~Coordinator();

  // Answers every parked lease request (UNAVAILABLE) and refuses new waits, so that a server can
  // shut down without waiting for long-polls. Idempotent.
  void Shutdown();

  const CoordinatorOptions& options() const { return options_; }

  // --- Sweeps (client-facing) ---
  absl::StatusOr<SubmitResult> SubmitSweep(const std::string& yaml, const std::string& file_name);
  absl::StatusOr<SweepView> GetSweep(const std::string& sweep_id);
  std::vector<SweepView> ListSweeps();
  std::vector<WorkerView> ListWorkers();
  absl::StatusOr<std::vector<TrialRecord>> ListTrials(const std::string& sweep_id);
  absl::StatusOr<std::vector<MetricPoint>> GetMetrics(const std::string& sweep_id, int64_t trial);
  // Cancels every trial not yet final; running ones are told STOP at their next report.
  absl::StatusOr<int64_t> CancelSweep(const std::string& sweep_id);

  // --- Workers ---
  absl::StatusOr<WorkerRecord> RegisterWorker(const std::string& name, const std::string& device,
                                              int32_t threads);
  void AcquireLease(const std::string& worker_id, absl::Duration wait, LeaseCallback done);
  absl::StatusOr<Directive> Heartbeat(const LeaseRef& lease, int64_t step);
  absl::StatusOr<Directive> ReportMetrics(const LeaseRef& lease,
                                          const std::vector<MetricPoint>& points);
  absl::Status CompleteTrial(const LeaseRef& lease, bool diverged, const std::string& reason,
                             const std::vector<MetricPoint>& points);
  absl::Status FailTrial(const LeaseRef& lease, const std::string& reason);
  // The worker checkpointed and gives the trial back: PREEMPTED, leased again first, and not
  // counted as a failure.
  absl::Status PreemptTrial(const LeaseRef& lease, const std::string& reason);

  // --- Checkpoints ---
  // A temp file for the lease's upload of its checkpoint at `step`.
  absl::StatusOr<std::string> BeginCheckpointUpload(const LeaseRef& lease, int64_t step);
  // Verifies the uploaded file's size and SHA-256, then renames it into place durably and records
  // it; older checkpoints beyond the sweep's `keep` are deleted. DATA_LOSS on a mismatch (the
  // previous checkpoint stays), RESOURCE_EXHAUSTED when the disk is full.
  absl::Status CommitCheckpoint(const LeaseRef& lease, int64_t step, const std::string& temp_path,
                                const std::string& sha256_hex, int64_t size);
  // Commits a checkpoint the worker wrote into the shared directory (no bytes travel). When this
  // machine mounts that directory the file is verified first: DATA_LOSS if it is missing or does
  // not match. INVALID_ARGUMENT for a path outside the trial's directory. Older checkpoints beyond
  // `keep` are dropped as for uploads; the answer lists the shared files still kept.
  absl::StatusOr<RegisteredCheckpoint> RegisterSharedCheckpoint(const LeaseRef& lease,
                                                                const SharedCheckpoint& checkpoint);
  // Records on the trial why a checkpoint could not be stored (shown by status); the previous
  // checkpoint stays. Best effort: a full disk may keep it from reaching the store too.
  // FAILED_PRECONDITION for a stale lease.
  absl::Status NoteCheckpointFailure(const LeaseRef& lease, int64_t step,
                                     const absl::Status& error);
  // A committed checkpoint of the lease's trial as committed (size, SHA-256), with `path` where
  // this coordinator reads it. FAILED_PRECONDITION when it is in a shared directory this
  // coordinator does not mount.
  absl::StatusOr<CheckpointRecord> GetCheckpoint(const LeaseRef& lease, int64_t step);

  // --- Change notification (watch) ---
  // `on_change` runs after every change to any sweep; returns an id for RemoveWatcher.
  int64_t AddWatcher(std::function<void()> on_change);
  void RemoveWatcher(int64_t id);

 private:
  struct LiveSweep {
    SweepRecord record;
    int64_t sequence = 0;  // submission order, for fair dispatch
    std::vector<TrialRecord> trials;
  };
  struct LiveWorker {
    WorkerRecord record;
    std::optional<std::pair<std::string, int64_t>> lease;  // sweep id, trial
  };
  struct Waiter {
    std::string worker_id;
    absl::Time deadline;
    LeaseCallback done;
  };
  // Work to run once the lock is released.
  using Deferred = std::vector<std::function<void()>>;

  Coordinator(Store* store, CoordinatorOptions options);
  absl::Status Load();

  void TimerLoop();
  void ExpireLeases(absl::Time now, Deferred* deferred) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ExpireWaiters(absl::Time now, Deferred* deferred) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Grants pending trials to parked waiters.
  void Dispatch(Deferred* deferred) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::optional<LeaseGrant>> GrantNext(const std::string& worker_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The trial a valid lease refers to, or FAILED_PRECONDITION for a stale one.
  absl::StatusOr<TrialRecord*> CheckLease(const LeaseRef& lease) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<LiveSweep*> FindSweep(const std::string& sweep_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Persists `updated` and, on success, makes it the live record.
  absl::Status Commit(LiveSweep& sweep, TrialRecord updated) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Forgets that `worker_id` runs `trial` (sweep id, index), unless it has moved on to another.
  void ReleaseWorker(const std::string& worker_id, const std::pair<std::string, int64_t>& trial)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A worker asks for work only when it runs none, so a lease it still holds here was abandoned:
  // its trial was cancelled (the worker stops without a report), or the worker gave up on it
  // without one. A trial still RUNNING is given back (PREEMPTED) at once instead of at lease
  // expiry.
  void ReleaseAbandonedLease(LiveWorker& worker) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Records a verified checkpoint of the lease's trial (its file already in place) and clears
  // the trial's checkpoint error. Drops the checkpoints beyond the sweep's `keep` (the newest is
  // always kept: a lease may resume from it) and any other file of the same step, deleting the
  // files this machine can reach. Returns the checkpoints kept, newest first.
  absl::StatusOr<std::vector<CheckpointRecord>> RecordCheckpoint(const LeaseRef& lease,
                                                                 TrialRecord* trial,
                                                                 CheckpointRecord checkpoint)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Where this machine reads a checkpoint's file; empty when it cannot.
  std::string LocalPath(const CheckpointRecord& checkpoint) const;
  // Deletes a checkpoint's file if this machine can reach it.
  void RemoveCheckpointFile(const CheckpointRecord& checkpoint) const;
  void MaybeFinishSweep(LiveSweep& sweep) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void NotifyWatchers(Deferred* deferred) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  SweepView ViewOf(const LiveSweep& sweep) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static void RunDeferred(Deferred& deferred);

  Store* const store_;
  const CoordinatorOptions options_;

  absl::Mutex mu_;
  std::map<std::string, LiveSweep> sweeps_ ABSL_GUARDED_BY(mu_);
  std::map<int64_t, std::string> sweeps_by_sequence_ ABSL_GUARDED_BY(mu_);
  int64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 0;
  // Pending trials in dispatch order: (sweep sequence, trial index).
  std::set<std::pair<int64_t, int64_t>> pending_ ABSL_GUARDED_BY(mu_);
  // Lease deadlines of running trials: (sweep id, trial) -> deadline.
  std::map<std::pair<std::string, int64_t>, absl::Time> lease_deadlines_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, LiveWorker> workers_ ABSL_GUARDED_BY(mu_);
  std::vector<Waiter> waiters_ ABSL_GUARDED_BY(mu_);
  std::map<int64_t, std::function<void()>> watchers_ ABSL_GUARDED_BY(mu_);
  int64_t next_watcher_id_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  std::thread timer_;
};

}  // namespace lrsweep

#endif  // LRSWEEP_COORDINATOR_COORDINATOR_H_
