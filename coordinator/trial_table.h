// TrialTable: the coordinator's live picture of every sweep, trial and worker, and the trial state
// machine over it. No lock, no I/O, no clock: callers pass the time.
//
//                 grant                      complete
//   PENDING ───────────────▶ RUNNING ─────────────────────▶ COMPLETED | DIVERGED
//     ▲  ▲                    │  │  │   fail, failures = max_failures
//     │  └─ fail (retry) ─────┘  │  └──────────────────────▶ FAILED
//     │                          │ expire | preempt | abandon
//     │       lease again        ▼
//     └──────────────────── PREEMPTED
//   every state but a final one ── cancel ──▶ CANCELLED (its worker keeps the lease until it
//                                                        reports, and is answered STOP)
//   RUNNING ── stop (the sweep's search method) ──▶ STOPPED (likewise)
//   FAILED | CANCELLED ── retry (the user, `lrsweep retry`) ──▶ PENDING (failures forgiven)
//
// Each transition is one function: it validates the lease it acts for (worker and fencing token;
// FAILED_PRECONDITION with the lease-lost reason for a stale one), and returns the rows that must
// be persisted, as a StoreWrite. Nothing changes until Apply(write), which the caller runs once the
// write is durable. Apply derives every index from the new rows — the dispatch order of waiting
// trials, lease deadlines, the lease each worker holds, per-state counts — so they cannot drift
// apart.
//
//   absl::StatusOr<StoreWrite> write = table.Fail(lease, "CUDA out of memory", now_ms);
//   RETURN_IF_ERROR(write.status());
//   RETURN_IF_ERROR(store->Write(*write));   // durable first
//   table.Apply(*write, absl::Now());        // then visible
//
// Thread safety: not thread-safe. The Coordinator guards it with its lock; planning and applying
// a write happen under that lock, persisting it does not.
#ifndef LRSWEEP_COORDINATOR_TRIAL_TABLE_H_
#define LRSWEEP_COORDINATOR_TRIAL_TABLE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "coordinator/store.h"
#include "sweep/lease.h"
#include "sweep/records.h"
#include "sweep/views.h"

namespace lrsweep {

// A worker asking for work, maybe only for one sweep's trials (`lrsweep run` works on its own).
struct WorkRequest {
  std::string worker_id;
  std::string sweep_id;  // empty: any sweep
};

// How a trial's attempt ended, as the coordinator scored it from the trial's metric history.
struct TrialOutcome {
  bool diverged = false;
  std::string reason;
  std::optional<int64_t> last_step;  // of the history; unset when there is none
  double last_lr = 0.0;
  std::optional<double> score;
  std::string final_metrics_json;
};

class TrialTable {
 public:
  explicit TrialTable(absl::Duration lease_timeout) : lease_timeout_(lease_timeout) {}

  // --- Loading and creation (already durable) ---
  // Trials RUNNING in `trials` keep their lease, which must be renewed within the lease timeout
  // from `now`.
  void AddSweep(SweepRecord record, std::vector<TrialRecord> trials, absl::Time now);
  void AddWorker(WorkerRecord record);
  // The worker said goodbye: shown as stopped. NOT_FOUND for an unknown worker. Its record.
  absl::StatusOr<WorkerRecord> MarkStopped(const std::string& worker_id, int64_t now_ms);

  // --- Sweep housekeeping (already durable) ---
  // What Store::UpdateSweep writes (its file, note, tags, archived_ms) becomes that of `sweep`
  // (found by its id).
  void UpdateSweep(const SweepRecord& sweep);
  // OK when the sweep has ended and no worker holds a lease on any of its trials (a cancelled
  // trial's worker keeps it until it next reports): what archiving or deleting it needs.
  // FAILED_PRECONDITION saying what to wait for; NOT_FOUND for an unknown sweep.
  absl::Status CheckQuiet(const std::string& sweep_id) const;
  void RemoveSweep(const std::string& sweep_id);

  // --- Reading ---
  // NOT_FOUND naming the sweep.
  absl::StatusOr<const TrialRecord*> FindTrial(const std::string& sweep_id, int64_t trial) const;
  absl::StatusOr<SweepView> GetSweep(const std::string& sweep_id) const;
  absl::StatusOr<std::vector<TrialRecord>> ListTrials(const std::string& sweep_id) const;
  std::vector<SweepView> ListSweeps() const;  // in submission order
  // `parked`: workers long-polling now. A worker not heard from since `lost_before_ms` is lost;
  // one that said goodbye before `stopped_before_ms` is no longer listed.
  std::vector<WorkerView> ListWorkers(const std::set<std::string>& parked, int64_t lost_before_ms,
                                      int64_t stopped_before_ms) const;
  bool HasWorker(const std::string& worker_id) const { return workers_.count(worker_id) > 0; }
  bool HoldsLease(const std::string& worker_id) const;
  // Trials of the sweep (0 for an unknown one); a trial the search adds gets this index.
  int64_t TrialCount(const std::string& sweep_id) const;
  // A trial waits for a worker (of `sweep_id`, when given).
  bool HasWaitingTrials(const std::string& sweep_id = "") const;
  int64_t checkpoint_keep(const std::string& sweep_id) const;
  // The earliest lease deadline, if any trial is leased.
  std::optional<absl::Time> NextLeaseDeadline() const;

  // The trial `lease` refers to if the lease is current (its worker and fencing token, and the
  // trial RUNNING or CANCELLED); FAILED_PRECONDITION with the lease-lost reason otherwise.
  absl::StatusOr<const TrialRecord*> Leased(const LeaseRef& lease) const;

  // --- In-memory updates that need no persistence ---
  void Touch(const std::string& worker_id, int64_t now_ms);  // the worker was heard from
  // A heartbeat or report of a current lease: pushes its deadline out. STOP for a cancelled trial.
  absl::StatusOr<Directive> Renew(const LeaseRef& lease, absl::Time now);
  // Progress fields of a metric report (already durable through Store::AppendMetrics).
  void ApplyProgress(const TrialRecord& progress);

  // --- Transitions: rows to persist, applied by Apply() ---
  // Hands the waiting trials, in dispatch order (sweeps in submission order, a sweep's trials by
  // index), to `requests` in order, each within its sweep if it names one. One row per request
  // served; `served` (if given) receives the index of the request each row serves.
  StoreWrite Grant(const std::vector<WorkRequest>& requests, int64_t now_ms,
                   std::vector<size_t>* served = nullptr) const;
  absl::StatusOr<StoreWrite> Complete(const LeaseRef& lease, const TrialOutcome& outcome,
                                      int64_t now_ms) const;
  // Retried (PENDING) until max_failures, then FAILED.
  absl::StatusOr<StoreWrite> Fail(const LeaseRef& lease, const std::string& reason,
                                  int64_t now_ms) const;
  // The worker checkpointed and gives the trial back: PREEMPTED, not a failure.
  absl::StatusOr<StoreWrite> Preempt(const LeaseRef& lease, int64_t now_ms) const;
  // A worker asks for work only when it runs none, so a lease it still holds was abandoned.
  StoreWrite ReleaseAbandoned(const std::string& worker_id, int64_t now_ms) const;
  // Leases whose deadline passed by `now`: their trials are PREEMPTED.
  StoreWrite Expire(absl::Time now, int64_t now_ms) const;
  // Every trial not yet final is CANCELLED, and so is the sweep.
  absl::StatusOr<StoreWrite> Cancel(const std::string& sweep_id, int64_t now_ms) const;
  // The sweep's FAILED trials (and CANCELLED ones too with `cancelled`) go back to PENDING with
  // their failures forgiven; each resumes from its newest checkpoint. When any does, the sweep runs
  // again. NOT_FOUND for an unknown sweep.
  absl::StatusOr<StoreWrite> Retry(const std::string& sweep_id, bool cancelled,
                                   int64_t now_ms) const;
  // The sweep's search method stops the running trial: STOPPED with `reason`; its worker is
  // answered STOP. Nothing for a trial already cancelled or stopped.
  absl::StatusOr<StoreWrite> Stop(const LeaseRef& lease, const std::string& reason,
                                  int64_t now_ms) const;
  // A checkpoint of the lease's trial at `step` is stored; its checkpoint error is cleared.
  absl::StatusOr<StoreWrite> CheckpointStored(const LeaseRef& lease, int64_t step,
                                              int64_t now_ms) const;
  // Why the lease's checkpoint at `step` could not be stored (shown by `lrsweep status`).
  absl::StatusOr<StoreWrite> CheckpointFailed(const LeaseRef& lease, int64_t step,
                                              const std::string& error, int64_t now_ms) const;

  // Adds to `write` the end of every sweep whose trials the write's rows finish together, when
  // none of its transitions ended it alone (the last trials of a sweep completing in one batch).
  // The write's trial rows must be distinct trials.
  void AddSweepEnds(StoreWrite& write) const;

  // Makes a durable write visible. Progress fields (step, lr, latest metric), which metric
  // reports update concurrently, only move forward within an attempt. A row whose index is the
  // sweep's trial count adds a trial (rows the sweep's search method creates, in index order).
  void Apply(const StoreWrite& write, absl::Time now);

 private:
  using TrialKey = std::pair<std::string, int64_t>;  // sweep id, trial index
  struct Sweep {
    SweepRecord record;
    int64_t sequence = 0;  // submission order, for fair dispatch
    std::vector<TrialRecord> trials;
    std::map<TrialState, int64_t> counts;
  };
  struct Worker {
    WorkerRecord record;
    std::optional<TrialKey> lease;
  };

  const Sweep* FindSweep(const std::string& sweep_id) const;
  SweepView ViewOf(const Sweep& sweep) const;
  // Adds the sweep's new state to `write` if the trials in it end the sweep.
  void FinishSweepIfDone(const std::string& sweep_id, StoreWrite& write) const;
  // The trial a worker gave up (RUNNING -> PREEMPTED), or the release of a cancelled trial's lease.
  static TrialRecord Released(const TrialRecord& trial, int64_t now_ms);
  // Adds `trial` to the indexes; a lease it holds gets `deadline`, or a fresh one.
  void Index(Sweep& sweep, const TrialRecord& trial, std::optional<absl::Time> deadline,
             absl::Time now);
  // Removes `trial` from the indexes; returns its lease deadline, if it had one.
  std::optional<absl::Time> Unindex(Sweep& sweep, const TrialRecord& trial);

  const absl::Duration lease_timeout_;
  std::map<std::string, Sweep> sweeps_;
  std::map<int64_t, std::string> sweeps_by_sequence_;
  int64_t next_sequence_ = 0;
  // Trials waiting for a worker, in dispatch order: (sweep sequence, trial index).
  std::set<std::pair<int64_t, int64_t>> waiting_;
  std::map<TrialKey, absl::Time> lease_deadlines_;
  std::map<std::string, Worker> workers_;
};

}  // namespace lrsweep

#endif  // LRSWEEP_COORDINATOR_TRIAL_TABLE_H_
