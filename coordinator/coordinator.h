// Coordinator: the gRPC-free core of lrsweep-coordinator.
//
// It keeps the TrialTable (the trial state machine and its indexes, trial_table.h), parked
// long-polls and watchers, and makes every transition durable through the Store before it is
// acknowledged. The gRPC services (service.h) only unpack requests and call these methods.
//
// Leases: AcquireLease hands an idle worker the next waiting trial at once, or parks the request
// (long-poll) until work appears or its wait ends; no polling interval. Each grant increments the
// trial's attempt counter, which is the lease's fencing token; every later report must carry it,
// and a stale one is FAILED_PRECONDITION with the lease-lost reason (common/status_reason.h). A
// lease not renewed by a heartbeat within lease_timeout makes its trial PREEMPTED, leased again
// without counting as a failure; a failure is retried until max_failures.
//
// Locking: a transition is planned on the table under the coordinator's lock (`mu_`), persisted
// without it, then applied under it again. Commits are serialized by a second lock
// (`commit_mu_`, taken first), so no two plans race; reads, heartbeats and parking an idle worker
// take only `mu_`, and so never wait behind an fsync. Transitions are group-committed
// (coordinator_dispatch.cc): each queues its plan, and whoever holds `commit_mu_` plans every
// queued transition on distinct trials into one write, makes it durable once, applies it, and
// only then are their callers answered. Workers asking for work are served the same way, all
// grants of a round in one write. The store group-commits writes that wait together into one
// fsync.
//
//   ASSIGN_OR_RETURN(auto store, OpenSqliteStore(dir + "/lrsweep.db"));
//   ASSIGN_OR_RETURN(auto coordinator, Coordinator::Create(store.get(), CoordinatorOptions{}));
//   ASSIGN_OR_RETURN(SubmitResult submitted, coordinator->SubmitSweep(yaml, "sweep.yaml"));
//
// Thread safety: thread-safe. Callbacks (lease grants, change notifications) run without the
// coordinator's locks held, on the calling thread or on its internal timer thread.
#ifndef LRSWEEP_COORDINATOR_COORDINATOR_H_
#define LRSWEEP_COORDINATOR_COORDINATOR_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/atomic_file.h"
#include "coordinator/store.h"
#include "coordinator/trial_table.h"
#include "search/search_method.h"
#include "sweep/artifact_ref.h"
#include "sweep/lease.h"
#include "sweep/records.h"
#include "sweep/sweep_labels.h"
#include "sweep/sweep_planner.h"
#include "sweep/sweep_spec.h"
#include "sweep/views.h"

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
  absl::StatusOr<SubmitResult> SubmitSweep(const std::string& yaml, const std::string& file_name,
                                           const ArtifactManifest& artifacts = {},
                                           const std::string& base_dir = "");
  absl::StatusOr<SweepView> GetSweep(const std::string& sweep_id);
  std::vector<SweepView> ListSweeps();
  std::vector<WorkerView> ListWorkers();
  absl::StatusOr<std::vector<TrialRecord>> ListTrials(const std::string& sweep_id);
  absl::StatusOr<std::vector<MetricPoint>> GetMetrics(const std::string& sweep_id, int64_t trial);
  // The trial's timeline (sweep/records.h TrialEvent), oldest first.
  absl::StatusOr<std::vector<TrialEvent>> ListTrialEvents(const std::string& sweep_id,
                                                          int64_t trial);
  // Cancels every trial not yet final; running ones are told STOP at their next report.
  absl::StatusOr<int64_t> CancelSweep(const std::string& sweep_id);
  // Runs the sweep's FAILED trials again (and its CANCELLED ones with `cancelled`), each from its
  // newest checkpoint; the sweep runs until they end. How many went back to PENDING.
  // FAILED_PRECONDITION for a sweep with a search method (asha, tpe, pbt, early stopping), which
  // has already taken those trials' ends into its decisions, and for an archived one.
  absl::StatusOr<int64_t> RetrySweep(const std::string& sweep_id, bool cancelled);

  // --- Sweep housekeeping (coordinator_housekeeping.cc) ---
  // Adds to the sweep the trials of `yaml`, an edited version of its file, that it lacks (the
  // same trial: everything it trains with is the same); only they run, and the sweep runs until
  // they end. Its file becomes `yaml`. result.total_trials is how many were added.
  // INVALID_ARGUMENT for a file that does not parse or ranks by another metric;
  // FAILED_PRECONDITION for a sweep with a search method (its method decides what runs) or an
  // archived one.
  absl::StatusOr<SubmitResult> ExtendSweep(const std::string& sweep_id, const std::string& yaml,
                                           const std::string& file_name,
                                           const ArtifactManifest& artifacts = {},
                                           const std::string& base_dir = "");
  // Changes the sweep's note and tags; the sweep as it is then. INVALID_ARGUMENT for a bad tag.
  absl::StatusOr<SweepView> LabelSweep(const std::string& sweep_id,
                                       const SweepLabelChange& change);
  // Deletes every checkpoint of an ended sweep, records and files, and marks it archived: its
  // ranking, metrics and logs stay; it can no longer be retried; listings hide it unless asked.
  // Running it again finishes an archive a crash cut short. FAILED_PRECONDITION while the sweep
  // runs or a worker still holds a lease on it.
  absl::StatusOr<SpaceFreed> ArchiveSweep(const std::string& sweep_id);
  // Deletes an ended sweep with its trials, metric points and checkpoints (records and files).
  // Its trials' logs are the TrialLogStore's (TrialLogStore::RemoveSweep). FAILED_PRECONDITION
  // as for ArchiveSweep.
  absl::StatusOr<SpaceFreed> DeleteSweep(const std::string& sweep_id);

  // --- Workers ---
  absl::StatusOr<WorkerRecord> RegisterWorker(const std::string& name, const std::string& device,
                                              int32_t threads);
  // Long-polls for a lease for `worker_id`; with `sweep_id`, only on that sweep's trials.
  void AcquireLease(const std::string& worker_id, absl::Duration wait, LeaseCallback done,
                    const std::string& sweep_id = "");
  // The worker stops normally: shown as stopped (then dropped), its lease given back at once.
  absl::Status UnregisterWorker(const std::string& worker_id);
  absl::StatusOr<Directive> Heartbeat(const LeaseRef& lease, int64_t step);
  absl::StatusOr<Directive> ReportMetrics(const LeaseRef& lease,
                                          const std::vector<MetricPoint>& points);
  absl::Status CompleteTrial(const LeaseRef& lease, bool diverged, const std::string& reason,
                             const std::vector<MetricPoint>& points);
  absl::Status FailTrial(const LeaseRef& lease, const std::string& reason);
  // The worker checkpointed and gives the trial back: PREEMPTED, leased again first, and not
  // counted as a failure.
  absl::Status PreemptTrial(const LeaseRef& lease, const std::string& reason);

  // --- Checkpoints (coordinator_checkpoints.cc) ---
  // The temp file the lease's upload of its checkpoint at `step` is received into, beside the
  // trial's checkpoints.
  absl::StatusOr<TempFile> BeginCheckpointUpload(const LeaseRef& lease, int64_t step);
  // Verifies the uploaded file's size and SHA-256, then renames it into place durably and records
  // it; older checkpoints beyond the sweep's `keep` are deleted. DATA_LOSS on a mismatch (the
  // previous checkpoint stays), RESOURCE_EXHAUSTED when the disk is full. The error is recorded
  // on the trial. `upload` is consumed: committed into place, or deleted.
  absl::Status CommitCheckpoint(const LeaseRef& lease, int64_t step, TempFile upload,
                                const std::string& sha256_hex, int64_t size);
  // Commits a checkpoint the worker wrote into the shared directory (no bytes travel). When this
  // machine mounts that directory the file is verified first: DATA_LOSS if it is missing or does
  // not match. INVALID_ARGUMENT for a path outside the trial's directory. Older checkpoints beyond
  // `keep` are dropped as for uploads; the answer lists the shared files still kept.
  absl::StatusOr<RegisteredCheckpoint> RegisterSharedCheckpoint(const LeaseRef& lease,
                                                                const SharedCheckpoint& checkpoint);
  // Records on the trial why a checkpoint could not be stored (shown by status); the previous
  // checkpoint stays. FAILED_PRECONDITION for a stale lease.
  absl::Status NoteCheckpointFailure(const LeaseRef& lease, int64_t step,
                                     const absl::Status& error);
  // A committed checkpoint of the lease's trial as committed (size, SHA-256), with `path` where
  // this coordinator reads it. FAILED_PRECONDITION when it is in a shared directory this
  // coordinator does not mount.
  absl::StatusOr<CheckpointRecord> GetCheckpoint(const LeaseRef& lease, int64_t step);

  // OK while `lease` is the trial's current lease; FAILED_PRECONDITION (IsLeaseLost) for a stale
  // one, NOT_FOUND for an unknown sweep or trial.
  absl::Status CheckLease(const LeaseRef& lease) ABSL_LOCKS_EXCLUDED(mu_);

  // --- Change notification (watch) ---
  // `on_change` runs after every change to any sweep; returns an id for RemoveWatcher.
  int64_t AddWatcher(std::function<void()> on_change);
  void RemoveWatcher(int64_t id);

 private:
  struct Waiter {
    std::string worker_id;
    absl::Time deadline;
    LeaseCallback done;
    bool release_first = false;  // it still holds a lease it abandoned: give it back first
    bool poll_only = false;      // answer at once, work or not
    std::string sweep_id;        // only this sweep's trials; empty: any
  };
  // Work to run once the locks are released.
  using Deferred = std::vector<std::function<void()>>;
  using Plan = std::function<absl::StatusOr<StoreWrite>(const TrialTable&)>;
  // A transition waiting to be committed, on its caller's stack.
  struct QueuedTransition {
    const Plan* plan;
    absl::Status result;
    bool done = false;
  };

  Coordinator(Store* store, CoordinatorOptions options);
  // A submitted sweep file parsed, with the files it names and the folder it was submitted from;
  // SubmitSweep and ExtendSweep read it alike.
  static absl::StatusOr<SweepSpec> ParseSubmittedSweep(const std::string& yaml,
                                                       const std::string& file_name,
                                                       const ArtifactManifest& artifacts,
                                                       const std::string& base_dir);
  // What the submitter is warned of: the linter's findings and the planner's.
  static std::vector<std::string> SubmitWarnings(const SweepSpec& spec, const SweepPlan& plan);
  absl::Status Load();

  // Plans a transition on the table, persists it, applies it, then serves parked workers and
  // notifies watchers; with every other transition queued meanwhile on other trials, in one
  // write. An empty write changes nothing.
  absl::Status Transition(const Plan& plan) ABSL_LOCKS_EXCLUDED(commit_mu_, mu_);
  // Commits one batch of the queued transitions: planned in queue order until one touches a
  // trial an earlier one of the batch does (it waits for the next batch), persisted in one
  // write, applied, and marked done with their results.
  void CommitQueued(Deferred* deferred) ABSL_EXCLUSIVE_LOCKS_REQUIRED(commit_mu_)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Takes the next batch off queued_ into `batch`, its rows merged into `merged`.
  void PlanBatch(std::vector<QueuedTransition*>* batch, StoreWrite* merged)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(commit_mu_, mu_);
  // Persists `write` and makes it visible; watchers are told. OK and nothing done for an empty one.
  // The write's trial events (trial_events.h) are added to it here.
  absl::Status PersistAndApply(StoreWrite write, Deferred* deferred)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(commit_mu_) ABSL_LOCKS_EXCLUDED(mu_);
  // A commit is everything between these two. EndCommit serves the workers parked meanwhile,
  // releases commit_mu_, and serves those who asked while it was held.
  void BeginCommit() ABSL_EXCLUSIVE_LOCK_FUNCTION(commit_mu_);
  void EndCommit(Deferred* deferred) ABSL_UNLOCK_FUNCTION(commit_mu_) ABSL_LOCKS_EXCLUDED(mu_);
  // Serves the parked workers if one asked and commit_mu_ is free; else its holder will.
  void ServeIfRequested(Deferred* deferred) ABSL_LOCKS_EXCLUDED(commit_mu_, mu_);
  // Gives back the leases parked workers abandoned, grants waiting trials to parked workers, and
  // answers the ones that would not wait.
  void ServeWaiters(Deferred* deferred) ABSL_EXCLUSIVE_LOCKS_REQUIRED(commit_mu_)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Grants waiting trials to parked workers, all grants of a round in one write.
  void DispatchToWaiters(Deferred* deferred) ABSL_EXCLUSIVE_LOCKS_REQUIRED(commit_mu_)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Persists `grants` (rows of TrialTable::Grant) and answers `waiters`, one per row, in order.
  void AnswerWithGrants(const StoreWrite& grants, std::vector<Waiter> waiters, Deferred* deferred)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(commit_mu_) ABSL_LOCKS_EXCLUDED(mu_);
  LeaseGrant GrantOf(const TrialRecord& granted);
  // The outcome of the lease's trial, scored from its metric history and `points`. Read before
  // the commit: only this lease writes the trial's metrics.
  absl::StatusOr<TrialOutcome> ScoreCompletion(const LeaseRef& lease, bool diverged,
                                               const std::string& reason,
                                               const std::vector<MetricPoint>& points)
      ABSL_LOCKS_EXCLUDED(commit_mu_, mu_);
  // Stores an uploaded checkpoint whose digest matched: renamed into place and recorded.
  absl::Status StoreUpload(const LeaseRef& lease, int64_t step, TempFile& upload,
                           const std::string& sha256_hex, int64_t size, Deferred* deferred)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(commit_mu_) ABSL_LOCKS_EXCLUDED(mu_);

  // --- The sweeps' search methods (coordinator_search.cc) ---
  // The method of the sweep `record`, rebuilt from the store (its trials' metric points and
  // final states); null when the sweep has none.
  absl::StatusOr<std::unique_ptr<SearchMethod>> RestoreSearchMethod(
      const SweepRecord& record, const std::vector<TrialRecord>& trials)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Tells the search methods what a durable `write` changed: its metric points and the trials it
  // ends.
  void FeedSearchMethods(const StoreWrite& write) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Adds to `write` the trials the search methods create because of the trials it ends (with the
  // ending, so both are durable together); a sweep that gets new trials does not finish.
  void AddSearchTrials(StoreWrite& write) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Feeds the lease's durable report to its sweep's method and returns what the method asks.
  std::vector<SearchOperation> DecideAfterReport(const LeaseRef& lease,
                                                 const std::vector<MetricPoint>& points)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Carries out the method's decision to stop the lease's trial (STOPPED, durable): STOP.
  absl::StatusOr<Directive> StopForSearch(const LeaseRef& lease, const std::string& reason)
      ABSL_LOCKS_EXCLUDED(commit_mu_, mu_);

  void TimerLoop();
  void ExpireWaiters(absl::Time now, Deferred* deferred) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void NotifyWatchers(Deferred* deferred) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static void RunDeferred(Deferred& deferred);

  // Records a verified checkpoint whose file is in place, keeping the newest `keep` of the
  // trial; returns the checkpoints kept, newest first, and deletes the dropped files this
  // machine can reach.
  // `deferred` receives the watch notifications, to run once the locks are released.
  absl::StatusOr<std::vector<CheckpointRecord>> RecordCheckpoint(const LeaseRef& lease,
                                                                 CheckpointRecord checkpoint,
                                                                 Deferred* deferred)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(commit_mu_) ABSL_LOCKS_EXCLUDED(mu_);
  // Where this machine reads a checkpoint's file; empty when it cannot.
  std::string LocalPath(const CheckpointRecord& checkpoint) const;
  // Every checkpoint record of the sweep's trials, from the store.
  absl::StatusOr<std::vector<CheckpointRecord>> SweepCheckpoints(const std::string& sweep_id)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Deletes the files of `checkpoints` and the sweep's checkpoint directory; the bytes freed.
  int64_t RemoveSweepCheckpointFiles(const std::string& sweep_id,
                                     const std::vector<CheckpointRecord>& checkpoints) const;
  // Deletes a checkpoint's file if this machine can reach it.
  void RemoveCheckpointFile(const CheckpointRecord& checkpoint) const;

  Store* const store_;
  const CoordinatorOptions options_;

  // Serializes transitions: held from planning to applying, across the store's write.
  absl::Mutex commit_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  absl::Mutex mu_;
  TrialTable table_ ABSL_GUARDED_BY(mu_);
  std::vector<Waiter> waiters_ ABSL_GUARDED_BY(mu_);
  // By sweep id, for the sweeps that have one.
  std::map<std::string, std::unique_ptr<SearchMethod>> search_methods_ ABSL_GUARDED_BY(mu_);
  std::map<int64_t, std::function<void()>> watchers_ ABSL_GUARDED_BY(mu_);
  int64_t next_watcher_id_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // A parked worker needs serving (see ServeIfRequested).
  bool dispatch_requested_ ABSL_GUARDED_BY(mu_) = false;
  // Transitions waiting for the next commit, in arrival order.
  std::vector<QueuedTransition*> queued_ ABSL_GUARDED_BY(mu_);

  std::thread timer_;
};

}  // namespace lrsweep

#endif  // LRSWEEP_COORDINATOR_COORDINATOR_H_
