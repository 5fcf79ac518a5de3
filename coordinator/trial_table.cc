#include "coordinator/trial_table.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status_reason.h"
#include "common/status_macros.h"

namespace lrsweep {
namespace {

// Cancelled or stopped by the search while a worker may still run it: that worker is told STOP
// at its next call, and what it reports afterwards changes nothing.
bool EndedUnderLease(TrialState state) {
  return state == TrialState::kCancelled || state == TrialState::kStopped;
}

// A trial's worker holds its lease while the trial runs, and after a cancellation or stop until
// it reports (and is told STOP).
bool HoldsLeaseOf(const TrialRecord& trial) {
  return !trial.worker_id.empty() &&
         (trial.state == TrialState::kRunning || EndedUnderLease(trial.state));
}

std::string StaleLeaseMessage(const LeaseRef& lease, const TrialRecord& trial) {
  return absl::StrCat("stale lease for trial ", lease.trial, " of ", lease.sweep_id,
                      ": its fencing token ", lease.fencing_token,
                      " is not the current attempt (", trial.attempts, ", ",
                      TrialStateName(trial.state),
                      trial.worker_id.empty() ? "" : ", leased to " + trial.worker_id,
                      "); this worker lost the lease and must drop the trial");
}

StoreWrite OneRow(TrialRecord trial) {
  StoreWrite write;
  write.trials.push_back(std::move(trial));
  return write;
}

}  // namespace

// --- Loading and creation ---

void TrialTable::AddSweep(SweepRecord record, std::vector<TrialRecord> trials, absl::Time now) {
  Sweep& sweep = sweeps_[record.id];
  sweep.sequence = next_sequence_++;
  sweep.record = std::move(record);
  sweep.trials = std::move(trials);
  sweeps_by_sequence_[sweep.sequence] = sweep.record.id;
  for (const TrialRecord& trial : sweep.trials) Index(sweep, trial, std::nullopt, now);
}

void TrialTable::AddWorker(WorkerRecord record) {
  Worker& worker = workers_[record.id];
  worker.record = std::move(record);
  // A worker loaded after the sweeps: find the lease it holds.
  for (const auto& [id, sweep] : sweeps_) {
    for (const TrialRecord& trial : sweep.trials) {
      if (HoldsLeaseOf(trial) && trial.worker_id == worker.record.id) {
        worker.lease = TrialKey{id, trial.trial};
      }
    }
  }
}

absl::StatusOr<WorkerRecord> TrialTable::MarkStopped(const std::string& worker_id,
                                                     int64_t now_ms) {
  auto worker = workers_.find(worker_id);
  if (worker == workers_.end()) {
    return absl::NotFoundError(absl::StrCat("unknown worker '", worker_id, "'"));
  }
  worker->second.record.stopped_ms = now_ms;
  return worker->second.record;
}

// --- Sweep housekeeping ---

void TrialTable::UpdateSweep(const SweepRecord& sweep) {
  auto it = sweeps_.find(sweep.id);
  if (it == sweeps_.end()) return;
  SweepRecord& record = it->second.record;
  record.yaml = sweep.yaml;
  record.file_name = sweep.file_name;
  record.source_sha256 = sweep.source_sha256;
  record.note = sweep.note;
  record.tags = sweep.tags;
  record.archived_ms = sweep.archived_ms;
}

absl::Status TrialTable::CheckQuiet(const std::string& sweep_id) const {
  ASSIGN_OR_RETURN(SweepView view, GetSweep(sweep_id));
  if (view.record.state == SweepState::kRunning) {
    return absl::FailedPreconditionError(absl::StrCat(
        "sweep ", sweep_id, " is still running; cancel it first (lrsweep cancel ", sweep_id,
        ") or wait for it to end"));
  }
  for (const TrialRecord& trial : FindSweep(sweep_id)->trials) {
    if (HoldsLeaseOf(trial)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "worker ", trial.worker_id, " still holds the lease of trial ", trial.trial, " of ",
          sweep_id, " (it stops at its next report, within seconds); try again then"));
    }
  }
  return absl::OkStatus();
}

void TrialTable::RemoveSweep(const std::string& sweep_id) {
  auto it = sweeps_.find(sweep_id);
  if (it == sweeps_.end()) return;
  Sweep& sweep = it->second;
  for (const TrialRecord& trial : sweep.trials) Unindex(sweep, trial);
  sweeps_by_sequence_.erase(sweep.sequence);
  sweeps_.erase(it);
}

// --- Indexes: derived from the rows, in one place ---

std::optional<absl::Time> TrialTable::Unindex(Sweep& sweep, const TrialRecord& trial) {
  waiting_.erase({sweep.sequence, trial.trial});
  const TrialKey key{sweep.record.id, trial.trial};
  if (HoldsLeaseOf(trial)) {
    auto worker = workers_.find(trial.worker_id);
    if (worker != workers_.end() && worker->second.lease == key) worker->second.lease.reset();
  }
  std::optional<absl::Time> deadline;
  if (auto it = lease_deadlines_.find(key); it != lease_deadlines_.end()) {
    deadline = it->second;
    lease_deadlines_.erase(it);
  }
  --sweep.counts[trial.state];
  return deadline;
}

void TrialTable::Index(Sweep& sweep, const TrialRecord& trial,
                       std::optional<absl::Time> deadline, absl::Time now) {
  if (IsWaiting(trial.state)) waiting_.insert({sweep.sequence, trial.trial});
  if (HoldsLeaseOf(trial)) {
    const TrialKey key{sweep.record.id, trial.trial};
    auto worker = workers_.find(trial.worker_id);
    if (worker != workers_.end()) worker->second.lease = key;
    lease_deadlines_[key] = deadline.value_or(now + lease_timeout_);
  }
  ++sweep.counts[trial.state];
}

void TrialTable::Apply(const StoreWrite& write, absl::Time now) {
  for (const TrialRecord& row : write.trials) {
    auto it = sweeps_.find(row.sweep_id);
    if (it == sweeps_.end() || row.trial < 0 ||
        row.trial > static_cast<int64_t>(it->second.trials.size())) {
      continue;
    }
    Sweep& sweep = it->second;
    if (row.trial == static_cast<int64_t>(sweep.trials.size())) {  // a trial the search added
      sweep.trials.push_back(row);
      Index(sweep, row, std::nullopt, now);
      continue;
    }
    TrialRecord& live = sweep.trials[static_cast<size_t>(row.trial)];
    const TrialRecord before = live;
    const std::optional<absl::Time> deadline = Unindex(sweep, before);
    live = row;
    if (row.attempts == before.attempts && before.step > row.step && !IsFinal(row.state)) {
      live.step = before.step;  // a metric report landed while this row was being persisted
      live.lr = before.lr;
      live.latest_metric = before.latest_metric;
    }
    // A lease keeps its deadline across updates of its own trial; a new attempt gets a fresh one.
    const bool same_lease = HoldsLeaseOf(before) && HoldsLeaseOf(live) &&
                            before.attempts == live.attempts && before.worker_id == live.worker_id;
    Index(sweep, live, same_lease ? deadline : std::nullopt, now);
  }
  for (const auto& [sweep_id, state] : write.sweep_states) {
    auto it = sweeps_.find(sweep_id);
    if (it != sweeps_.end()) it->second.record.state = state;
  }
}

// --- Reading ---

const TrialTable::Sweep* TrialTable::FindSweep(const std::string& sweep_id) const {
  auto it = sweeps_.find(sweep_id);
  return it == sweeps_.end() ? nullptr : &it->second;
}

absl::StatusOr<const TrialRecord*> TrialTable::FindTrial(const std::string& sweep_id,
                                                         int64_t trial) const {
  const Sweep* sweep = FindSweep(sweep_id);
  if (sweep == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no sweep '", sweep_id, "'; `lrsweep status` lists the sweeps"));
  }
  if (trial < 0 || trial >= static_cast<int64_t>(sweep->trials.size())) {
    return absl::NotFoundError(absl::StrCat("sweep ", sweep_id, " has no trial ", trial,
                                            " (it has ", sweep->trials.size(), ")"));
  }
  return &sweep->trials[static_cast<size_t>(trial)];
}

SweepView TrialTable::ViewOf(const Sweep& sweep) const {
  SweepView view;
  view.record = sweep.record;
  view.total_trials = static_cast<int64_t>(sweep.trials.size());
  for (const auto& [state, count] : sweep.counts) {
    if (count > 0) view.counts[state] = count;
  }
  return view;
}

absl::StatusOr<SweepView> TrialTable::GetSweep(const std::string& sweep_id) const {
  const Sweep* sweep = FindSweep(sweep_id);
  if (sweep == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no sweep '", sweep_id, "'; `lrsweep status` lists the sweeps"));
  }
  return ViewOf(*sweep);
}

absl::StatusOr<std::vector<TrialRecord>> TrialTable::ListTrials(const std::string& sweep_id) const {
  RETURN_IF_ERROR(GetSweep(sweep_id).status());
  return FindSweep(sweep_id)->trials;
}

std::vector<SweepView> TrialTable::ListSweeps() const {
  std::vector<SweepView> views;
  for (const auto& [sequence, id] : sweeps_by_sequence_) views.push_back(ViewOf(sweeps_.at(id)));
  return views;
}

std::vector<WorkerView> TrialTable::ListWorkers(const std::set<std::string>& parked,
                                                int64_t lost_before_ms,
                                                int64_t stopped_before_ms) const {
  std::vector<WorkerView> views;
  for (const auto& [id, worker] : workers_) {
    WorkerView view{worker.record, WorkerState::kLost, "", -1};
    if (worker.record.stopped_ms > 0) {
      if (worker.record.stopped_ms < stopped_before_ms) continue;  // gone for a while: dropped
      view.state = WorkerState::kStopped;
    } else if (worker.lease) {
      // Expiry drops the lease of a worker whose heartbeats stop.
      view.state = WorkerState::kTraining;
      view.sweep_id = worker.lease->first;
      view.trial = worker.lease->second;
      const TrialRecord& trial = sweeps_.at(view.sweep_id).trials[static_cast<size_t>(view.trial)];
      view.step = trial.step;
      view.total_steps = trial.total_steps;
    } else if (parked.count(id) > 0 || worker.record.last_heartbeat_ms > lost_before_ms) {
      view.state = WorkerState::kWaiting;
    }
    views.push_back(std::move(view));
  }
  return views;
}

bool TrialTable::HoldsLease(const std::string& worker_id) const {
  auto worker = workers_.find(worker_id);
  return worker != workers_.end() && worker->second.lease.has_value();
}

int64_t TrialTable::checkpoint_keep(const std::string& sweep_id) const {
  const Sweep* sweep = FindSweep(sweep_id);
  return std::max<int64_t>(1, sweep == nullptr ? 1 : sweep->record.checkpoint_keep);
}

std::optional<absl::Time> TrialTable::NextLeaseDeadline() const {
  std::optional<absl::Time> next;
  for (const auto& [key, deadline] : lease_deadlines_) {
    if (!next || deadline < *next) next = deadline;
  }
  return next;
}

absl::StatusOr<const TrialRecord*> TrialTable::Leased(const LeaseRef& lease) const {
  const Sweep* sweep = FindSweep(lease.sweep_id);
  if (sweep == nullptr) {
    return LeaseLostError(absl::StatusCode::kNotFound,
                          absl::StrCat("no sweep '", lease.sweep_id,
                                       "' on this coordinator; the lease on trial ", lease.trial,
                                       " is gone"));
  }
  if (lease.trial < 0 || lease.trial >= static_cast<int64_t>(sweep->trials.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("lease.trial: sweep ", lease.sweep_id, " has no trial ", lease.trial));
  }
  const TrialRecord& trial = sweep->trials[static_cast<size_t>(lease.trial)];
  if (!HoldsLeaseOf(trial) || trial.attempts != lease.fencing_token ||
      trial.worker_id != lease.worker_id) {
    return LeaseLostError(absl::StatusCode::kFailedPrecondition, StaleLeaseMessage(lease, trial));
  }
  return &trial;
}

// --- In-memory updates ---

void TrialTable::Touch(const std::string& worker_id, int64_t now_ms) {
  auto worker = workers_.find(worker_id);
  if (worker != workers_.end()) worker->second.record.last_heartbeat_ms = now_ms;
}

absl::StatusOr<Directive> TrialTable::Renew(const LeaseRef& lease, absl::Time now) {
  ASSIGN_OR_RETURN(const TrialRecord* trial, Leased(lease));
  Touch(lease.worker_id, absl::ToUnixMillis(now));
  if (EndedUnderLease(trial->state)) return Directive::kStop;
  lease_deadlines_[{lease.sweep_id, lease.trial}] = now + lease_timeout_;
  return Directive::kContinue;
}

void TrialTable::ApplyProgress(const TrialRecord& progress) {
  auto sweep = sweeps_.find(progress.sweep_id);
  if (sweep == sweeps_.end()) return;
  TrialRecord& trial = sweep->second.trials[static_cast<size_t>(progress.trial)];
  if (trial.attempts != progress.attempts) return;
  trial.step = std::max(trial.step, progress.step);
  if (trial.step == progress.step) trial.lr = progress.lr;
  if (progress.latest_metric) trial.latest_metric = progress.latest_metric;
  trial.updated_ms = progress.updated_ms;
}

// --- Transitions ---

TrialRecord TrialTable::Released(const TrialRecord& trial, int64_t now_ms) {
  TrialRecord updated = trial;
  if (updated.state == TrialState::kRunning) {
    // The worker is gone or gave the trial back: not the trial's failure.
    updated.state = TrialState::kPreempted;
    updated.preemptions += 1;
  }
  updated.worker_id.clear();
  updated.updated_ms = now_ms;
  return updated;
}

int64_t TrialTable::TrialCount(const std::string& sweep_id) const {
  const Sweep* sweep = FindSweep(sweep_id);
  return sweep == nullptr ? 0 : static_cast<int64_t>(sweep->trials.size());
}

bool TrialTable::HasWaitingTrials(const std::string& sweep_id) const {
  if (sweep_id.empty()) return !waiting_.empty();
  const Sweep* sweep = FindSweep(sweep_id);
  if (sweep == nullptr) return false;
  auto next = waiting_.lower_bound({sweep->sequence, 0});
  return next != waiting_.end() && next->first == sweep->sequence;
}

StoreWrite TrialTable::Grant(const std::vector<WorkRequest>& requests, int64_t now_ms,
                             std::vector<size_t>* served) const {
  StoreWrite write;
  std::set<std::pair<int64_t, int64_t>> taken;
  for (size_t i = 0; i < requests.size(); ++i) {
    auto next = waiting_.begin();
    std::optional<int64_t> only;  // the sequence of the requested sweep
    if (!requests[i].sweep_id.empty()) {
      const Sweep* sweep = FindSweep(requests[i].sweep_id);
      if (sweep == nullptr) continue;
      only = sweep->sequence;
      next = waiting_.lower_bound({*only, 0});
    }
    while (next != waiting_.end() && taken.count(*next) > 0) ++next;
    if (next == waiting_.end() || (only && next->first != *only)) continue;
    taken.insert(*next);
    TrialRecord updated =
        sweeps_.at(sweeps_by_sequence_.at(next->first)).trials[static_cast<size_t>(next->second)];
    updated.state = TrialState::kRunning;
    updated.attempts += 1;
    updated.worker_id = requests[i].worker_id;
    updated.updated_ms = now_ms;
    write.trials.push_back(std::move(updated));
    if (served != nullptr) served->push_back(i);
  }
  return write;
}

void TrialTable::FinishSweepIfDone(const std::string& sweep_id, StoreWrite& write) const {
  const Sweep& sweep = sweeps_.at(sweep_id);
  if (sweep.record.state != SweepState::kRunning) return;
  int64_t unfinished = 0;
  for (const auto& [state, count] : sweep.counts) {
    if (!IsFinal(state)) unfinished += count;
  }
  for (const TrialRecord& row : write.trials) {
    if (row.sweep_id != sweep_id) continue;
    // A row past the end is a trial the write adds: it was not unfinished before.
    const bool was_final = row.trial >= static_cast<int64_t>(sweep.trials.size()) ||
                           IsFinal(sweep.trials[static_cast<size_t>(row.trial)].state);
    unfinished += (was_final ? 1 : 0) - (IsFinal(row.state) ? 1 : 0);
  }
  if (unfinished == 0) write.sweep_states.emplace_back(sweep_id, SweepState::kFinished);
}

void TrialTable::AddSweepEnds(StoreWrite& write) const {
  std::set<std::string> sweeps;
  for (const TrialRecord& row : write.trials) sweeps.insert(row.sweep_id);
  for (const auto& [sweep_id, state] : write.sweep_states) sweeps.erase(sweep_id);
  for (const std::string& sweep_id : sweeps) {
    if (FindSweep(sweep_id) != nullptr) FinishSweepIfDone(sweep_id, write);
  }
}

absl::StatusOr<StoreWrite> TrialTable::Complete(const LeaseRef& lease, const TrialOutcome& outcome,
                                                int64_t now_ms) const {
  ASSIGN_OR_RETURN(const TrialRecord* trial, Leased(lease));
  if (EndedUnderLease(trial->state)) return OneRow(Released(*trial, now_ms));
  TrialRecord updated = *trial;
  updated.state = outcome.diverged ? TrialState::kDiverged : TrialState::kCompleted;
  updated.reason = outcome.reason;
  updated.worker_id.clear();
  updated.updated_ms = now_ms;
  if (outcome.last_step) {
    updated.step = *outcome.last_step;
    updated.lr = outcome.last_lr;
  }
  updated.score = outcome.score;
  updated.final_metrics_json = outcome.final_metrics_json;
  StoreWrite write = OneRow(std::move(updated));
  FinishSweepIfDone(lease.sweep_id, write);
  return write;
}

absl::StatusOr<StoreWrite> TrialTable::Fail(const LeaseRef& lease, const std::string& reason,
                                            int64_t now_ms) const {
  ASSIGN_OR_RETURN(const TrialRecord* trial, Leased(lease));
  if (EndedUnderLease(trial->state)) return OneRow(Released(*trial, now_ms));
  TrialRecord updated = *trial;
  updated.failures += 1;
  updated.reason = absl::StrCat(updated.reason, updated.reason.empty() ? "" : "; ", "attempt ",
                                updated.attempts, ": ", reason);
  updated.worker_id.clear();
  updated.updated_ms = now_ms;
  const bool retry = updated.failures < FindSweep(lease.sweep_id)->record.max_failures;
  updated.state = retry ? TrialState::kPending : TrialState::kFailed;
  StoreWrite write = OneRow(std::move(updated));
  FinishSweepIfDone(lease.sweep_id, write);
  return write;
}

absl::StatusOr<StoreWrite> TrialTable::Preempt(const LeaseRef& lease, int64_t now_ms) const {
  ASSIGN_OR_RETURN(const TrialRecord* trial, Leased(lease));
  return OneRow(Released(*trial, now_ms));
}

StoreWrite TrialTable::ReleaseAbandoned(const std::string& worker_id, int64_t now_ms) const {
  auto worker = workers_.find(worker_id);
  if (worker == workers_.end() || !worker->second.lease) return {};
  const TrialKey& key = *worker->second.lease;
  return OneRow(Released(sweeps_.at(key.first).trials[static_cast<size_t>(key.second)], now_ms));
}

StoreWrite TrialTable::Expire(absl::Time now, int64_t now_ms) const {
  StoreWrite write;
  for (const auto& [key, deadline] : lease_deadlines_) {
    if (deadline > now) continue;
    write.trials.push_back(
        Released(sweeps_.at(key.first).trials[static_cast<size_t>(key.second)], now_ms));
  }
  return write;
}

absl::StatusOr<StoreWrite> TrialTable::Cancel(const std::string& sweep_id, int64_t now_ms) const {
  RETURN_IF_ERROR(GetSweep(sweep_id).status());
  StoreWrite write;
  for (const TrialRecord& trial : FindSweep(sweep_id)->trials) {
    if (IsFinal(trial.state)) continue;
    TrialRecord updated = trial;
    updated.state = TrialState::kCancelled;
    updated.reason = "cancelled by the user";
    updated.updated_ms = now_ms;
    // The lease stays until the worker's next report, which is answered STOP.
    write.trials.push_back(std::move(updated));
  }
  write.sweep_states.emplace_back(sweep_id, SweepState::kCancelled);
  return write;
}

absl::StatusOr<StoreWrite> TrialTable::Retry(const std::string& sweep_id, bool cancelled,
                                             int64_t now_ms) const {
  RETURN_IF_ERROR(GetSweep(sweep_id).status());
  StoreWrite write;
  for (const TrialRecord& trial : FindSweep(sweep_id)->trials) {
    const bool retried = trial.state == TrialState::kFailed ||
                         (cancelled && trial.state == TrialState::kCancelled);
    // A cancelled trial whose worker has not reported yet still holds its lease: it is not taken
    // back until that worker lets go (or its lease expires).
    if (!retried || HoldsLeaseOf(trial)) continue;
    TrialRecord updated = trial;
    updated.worker_id.clear();
    updated.state = TrialState::kPending;
    updated.failures = 0;
    updated.reason = "";
    updated.updated_ms = now_ms;
    write.trials.push_back(std::move(updated));
  }
  if (!write.trials.empty()) write.sweep_states.emplace_back(sweep_id, SweepState::kRunning);
  return write;
}

absl::StatusOr<StoreWrite> TrialTable::Stop(const LeaseRef& lease, const std::string& reason,
                                            int64_t now_ms) const {
  ASSIGN_OR_RETURN(const TrialRecord* trial, Leased(lease));
  if (trial->state != TrialState::kRunning) return StoreWrite{};  // already cancelled or stopped
  TrialRecord updated = *trial;
  updated.state = TrialState::kStopped;
  updated.reason = reason;
  updated.updated_ms = now_ms;
  // The lease stays until the worker's next call, which is answered STOP.
  StoreWrite write = OneRow(std::move(updated));
  FinishSweepIfDone(lease.sweep_id, write);
  return write;
}

absl::StatusOr<StoreWrite> TrialTable::CheckpointStored(const LeaseRef& lease, int64_t step,
                                                        int64_t now_ms) const {
  ASSIGN_OR_RETURN(const TrialRecord* trial, Leased(lease));
  TrialRecord updated = *trial;
  updated.checkpoint_step = step;
  updated.checkpoint_error.clear();
  updated.updated_ms = now_ms;
  return OneRow(std::move(updated));
}

absl::StatusOr<StoreWrite> TrialTable::CheckpointFailed(const LeaseRef& lease, int64_t step,
                                                        const std::string& error,
                                                        int64_t now_ms) const {
  ASSIGN_OR_RETURN(const TrialRecord* trial, Leased(lease));
  TrialRecord updated = *trial;
  updated.checkpoint_error = absl::StrCat("checkpoint at step ", step, " not stored: ", error);
  updated.updated_ms = now_ms;
  return OneRow(std::move(updated));
}

}  // namespace lrsweep
