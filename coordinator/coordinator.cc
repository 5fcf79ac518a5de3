#include "coordinator/coordinator.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/atomic_file.h"
#include "common/status_macros.h"
#include "coordinator/scoring.h"
#include "coordinator/sweep_planner.h"
#include "coordinator/sweep_spec.h"
#include "fmt/format.h"

namespace lrsweep {
namespace {

constexpr absl::Duration kTimerPeriod = absl::Milliseconds(50);

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }


std::string RandomHex(int digits) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string out;
  for (int i = 0; i < digits; ++i) out += "0123456789abcdef"[rng() % 16];
  return out;
}

// A sweep id readable in a terminal: the sweep's name (lowercase, [a-z0-9-]) and a random suffix.
std::string NewSweepId(const std::string& name) {
  std::string slug;
  for (char c : name) {
    const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (std::isalnum(static_cast<unsigned char>(lower))) {
      slug += lower;
    } else if (!slug.empty() && slug.back() != '-') {
      slug += '-';
    }
    if (slug.size() >= 40) break;
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return absl::StrCat(slug.empty() ? "sweep" : slug, "-", RandomHex(6));
}

std::string StaleLeaseMessage(const LeaseRef& lease, const TrialRecord& trial) {
  return absl::StrCat("stale lease for trial ", lease.trial, " of ", lease.sweep_id,
                      ": its fencing token ", lease.fencing_token,
                      " is not the current attempt (", trial.attempts, ", ",
                      TrialStateName(trial.state),
                      trial.worker_id.empty() ? "" : ", leased to " + trial.worker_id,
                      "); this worker lost the lease and must drop the trial");
}

}  // namespace

Coordinator::Coordinator(Store* store, CoordinatorOptions options)
    : store_(store), options_(options) {}

absl::StatusOr<std::unique_ptr<Coordinator>> Coordinator::Create(Store* store,
                                                                 CoordinatorOptions options) {
  std::unique_ptr<Coordinator> coordinator(new Coordinator(store, options));
  RETURN_IF_ERROR(coordinator->Load());
  coordinator->timer_ = std::thread([c = coordinator.get()] { c->TimerLoop(); });
  return coordinator;
}

Coordinator::~Coordinator() {
  Shutdown();
  if (timer_.joinable()) timer_.join();
}

void Coordinator::Shutdown() {
  std::vector<Waiter> waiters;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    waiters.swap(waiters_);
  }
  for (Waiter& waiter : waiters) waiter.done(absl::UnavailableError("coordinator shutting down"));
}

absl::Status Coordinator::Load() {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(std::vector<SweepRecord> sweeps, store_->ListSweeps());
  const absl::Time lease_deadline = absl::Now() + options_.lease_timeout;
  for (SweepRecord& record : sweeps) {
    LiveSweep live;
    live.sequence = next_sequence_++;
    ASSIGN_OR_RETURN(live.trials, store_->ListTrials(record.id));
    for (const TrialRecord& trial : live.trials) {
      if (IsWaiting(trial.state)) pending_.insert({live.sequence, trial.trial});
      if (trial.state == TrialState::kRunning) {
        lease_deadlines_[{record.id, trial.trial}] = lease_deadline;
      }
    }
    live.record = std::move(record);
    sweeps_by_sequence_[live.sequence] = live.record.id;
    sweeps_.emplace(live.record.id, std::move(live));
  }
  ASSIGN_OR_RETURN(std::vector<WorkerRecord> workers, store_->ListWorkers());
  for (WorkerRecord& worker : workers) workers_[worker.id].record = std::move(worker);
  for (const auto& [id, sweep] : sweeps_) {
    for (const TrialRecord& trial : sweep.trials) {
      if (trial.state != TrialState::kRunning) continue;
      auto worker = workers_.find(trial.worker_id);
      if (worker != workers_.end()) worker->second.lease = {{id, trial.trial}};
    }
  }
  return absl::OkStatus();
}

// --- Sweeps ---

absl::StatusOr<SubmitResult> Coordinator::SubmitSweep(const std::string& yaml,
                                                      const std::string& file_name) {
  ASSIGN_OR_RETURN(SweepSpec spec, ParseSweep(yaml, file_name.empty() ? "sweep.yaml" : file_name));
  ASSIGN_OR_RETURN(SweepPlan plan, PlanSweep(spec));
  SubmitResult result;
  for (const PlanWarning& warning : plan.warnings) {
    result.warnings.push_back(FormatPlanWarning(warning, static_cast<int64_t>(plan.trials.size())));
  }
  SweepRecord record;
  record.id = NewSweepId(spec.name);
  record.name = spec.name;
  record.yaml = yaml;
  record.file_name = spec.file;
  record.created_ms = NowMs();
  record.metric_name = spec.metric.name;
  record.maximize = spec.metric.maximize;
  record.metric_summary = spec.metric.summary;
  record.metric_last_k = spec.metric.last_k;
  record.max_failures = spec.max_failures;
  record.checkpoint_keep = spec.checkpoint.keep;
  record.source_sha256 = Sha256Hex(yaml);
  std::vector<TrialRecord> trials;
  trials.reserve(plan.trials.size());
  for (const TrialPlan& planned : plan.trials) {
    TrialRecord trial;
    trial.sweep_id = record.id;
    trial.trial = planned.index;
    trial.config = planned.config;
    trial.seed = planned.seed;
    const nlohmann::ordered_json json = TrialPlanToJson(planned);
    trial.plan_json = json.dump();
    trial.params_json = json["params"].dump();
    trial.total_steps = planned.total_steps;
    trial.lr = planned.lr;
    trial.updated_ms = record.created_ms;
    trials.push_back(std::move(trial));
  }
  RETURN_IF_ERROR(store_->CreateSweep(record, trials));

  Deferred deferred;
  {
    absl::MutexLock lock(&mu_);
    LiveSweep live;
    live.sequence = next_sequence_++;
    live.record = record;
    live.trials = std::move(trials);
    for (const TrialRecord& trial : live.trials) pending_.insert({live.sequence, trial.trial});
    sweeps_by_sequence_[live.sequence] = record.id;
    sweeps_.emplace(record.id, std::move(live));
    Dispatch(&deferred);
    NotifyWatchers(&deferred);
  }
  RunDeferred(deferred);
  result.sweep_id = record.id;
  result.total_trials = static_cast<int64_t>(plan.trials.size());
  return result;
}

SweepView Coordinator::ViewOf(const LiveSweep& sweep) const {
  SweepView view;
  view.record = sweep.record;
  view.total_trials = static_cast<int64_t>(sweep.trials.size());
  for (const TrialRecord& trial : sweep.trials) ++view.counts[trial.state];
  return view;
}

absl::StatusOr<Coordinator::LiveSweep*> Coordinator::FindSweep(const std::string& sweep_id) {
  auto it = sweeps_.find(sweep_id);
  if (it == sweeps_.end()) {
    return absl::NotFoundError(absl::StrCat("no sweep '", sweep_id,
                                            "'; `lrsweep status` lists the sweeps"));
  }
  return &it->second;
}

absl::StatusOr<SweepView> Coordinator::GetSweep(const std::string& sweep_id) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(LiveSweep * sweep, FindSweep(sweep_id));
  return ViewOf(*sweep);
}

std::vector<SweepView> Coordinator::ListSweeps() {
  absl::MutexLock lock(&mu_);
  std::vector<SweepView> views;
  for (const auto& [sequence, id] : sweeps_by_sequence_) views.push_back(ViewOf(sweeps_.at(id)));
  return views;
}

std::vector<WorkerView> Coordinator::ListWorkers() {
  absl::MutexLock lock(&mu_);
  std::set<std::string> parked;
  for (const Waiter& waiter : waiters_) parked.insert(waiter.worker_id);
  const int64_t lost_before = NowMs() - absl::ToInt64Milliseconds(options_.lease_timeout);
  std::vector<WorkerView> views;
  for (const auto& [id, worker] : workers_) {
    WorkerView view{worker.record, WorkerState::kLost, "", -1};
    if (worker.lease) {
      // Expiry drops the lease of a worker whose heartbeats stop.
      view.state = WorkerState::kTraining;
      view.sweep_id = worker.lease->first;
      view.trial = worker.lease->second;
    } else if (parked.count(id) > 0 || worker.record.last_heartbeat_ms > lost_before) {
      view.state = WorkerState::kWaiting;
    }
    views.push_back(std::move(view));
  }
  return views;
}

absl::StatusOr<std::vector<TrialRecord>> Coordinator::ListTrials(const std::string& sweep_id) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(LiveSweep * sweep, FindSweep(sweep_id));
  return sweep->trials;
}

absl::StatusOr<std::vector<MetricPoint>> Coordinator::GetMetrics(const std::string& sweep_id,
                                                                 int64_t trial) {
  {
    absl::MutexLock lock(&mu_);
    ASSIGN_OR_RETURN(LiveSweep * sweep, FindSweep(sweep_id));
    if (trial < 0 || trial >= static_cast<int64_t>(sweep->trials.size())) {
      return absl::NotFoundError(absl::StrCat("sweep ", sweep_id, " has no trial ", trial,
                                              " (it has ", sweep->trials.size(), ")"));
    }
  }
  return store_->GetMetrics(sweep_id, trial);
}

absl::StatusOr<int64_t> Coordinator::CancelSweep(const std::string& sweep_id) {
  Deferred deferred;
  int64_t cancelled = 0;
  {
    absl::MutexLock lock(&mu_);
    ASSIGN_OR_RETURN(LiveSweep * sweep, FindSweep(sweep_id));
    std::vector<TrialRecord> updated;
    for (const TrialRecord& trial : sweep->trials) {
      if (IsFinal(trial.state)) continue;
      TrialRecord copy = trial;
      copy.state = TrialState::kCancelled;
      copy.reason = "cancelled by the user";
      copy.updated_ms = NowMs();
      updated.push_back(std::move(copy));
    }
    RETURN_IF_ERROR(store_->UpdateTrials(updated));
    RETURN_IF_ERROR(store_->SetSweepState(sweep_id, SweepState::kCancelled));
    sweep->record.state = SweepState::kCancelled;
    for (TrialRecord& trial : updated) {
      pending_.erase({sweep->sequence, trial.trial});
      // The lease stays until the worker's next report, which is answered STOP.
      sweep->trials[static_cast<size_t>(trial.trial)] = std::move(trial);
      ++cancelled;
    }
    NotifyWatchers(&deferred);
  }
  RunDeferred(deferred);
  return cancelled;
}

// --- Workers ---

absl::StatusOr<WorkerRecord> Coordinator::RegisterWorker(const std::string& name,
                                                         const std::string& device,
                                                         int32_t threads) {
  WorkerRecord record;
  record.id = absl::StrCat("w-", RandomHex(8));
  record.name = name.empty() ? record.id : name;
  record.device = device;
  record.threads = threads;
  record.registered_ms = record.last_heartbeat_ms = NowMs();
  RETURN_IF_ERROR(store_->UpsertWorker(record));
  absl::MutexLock lock(&mu_);
  workers_[record.id].record = record;
  return record;
}

void Coordinator::AcquireLease(const std::string& worker_id, absl::Duration wait,
                               LeaseCallback done) {
  absl::StatusOr<std::optional<LeaseGrant>> result;
  Deferred deferred;
  {
    absl::MutexLock lock(&mu_);
    auto worker = workers_.find(worker_id);
    if (worker == workers_.end()) {
      result = absl::NotFoundError(
          absl::StrCat("unknown worker '", worker_id, "'; register first"));
    } else {
      worker->second.record.last_heartbeat_ms = NowMs();
      ReleaseAbandonedLease(worker->second);
      result = GrantNext(worker_id);
      if (result.ok() && !result->has_value() && wait > absl::ZeroDuration() && !stopping_) {
        waiters_.push_back(
            {worker_id, absl::Now() + std::min(wait, options_.max_lease_wait), std::move(done)});
        return;
      }
      NotifyWatchers(&deferred);
    }
  }
  RunDeferred(deferred);
  done(std::move(result));
}

absl::StatusOr<std::optional<LeaseGrant>> Coordinator::GrantNext(const std::string& worker_id) {
  if (pending_.empty()) return std::optional<LeaseGrant>();
  const auto [sequence, index] = *pending_.begin();
  LiveSweep& sweep = sweeps_.at(sweeps_by_sequence_.at(sequence));
  TrialRecord updated = sweep.trials[static_cast<size_t>(index)];
  updated.state = TrialState::kRunning;
  updated.attempts += 1;
  updated.worker_id = worker_id;
  updated.updated_ms = NowMs();
  RETURN_IF_ERROR(Commit(sweep, updated));
  pending_.erase(pending_.begin());
  lease_deadlines_[{sweep.record.id, index}] = absl::Now() + options_.lease_timeout;
  workers_[worker_id].lease = {{sweep.record.id, index}};
  LeaseGrant grant{sweep.record.id, index, updated.attempts, updated.plan_json, {}};
  absl::StatusOr<std::vector<CheckpointRecord>> checkpoints =
      store_->ListCheckpoints(sweep.record.id, index);
  if (checkpoints.ok()) grant.checkpoints = *std::move(checkpoints);
  return std::optional<LeaseGrant>(std::move(grant));
}

absl::Status Coordinator::Commit(LiveSweep& sweep, TrialRecord updated) {
  RETURN_IF_ERROR(store_->UpdateTrial(updated));
  sweep.trials[static_cast<size_t>(updated.trial)] = std::move(updated);
  return absl::OkStatus();
}

absl::StatusOr<TrialRecord*> Coordinator::CheckLease(const LeaseRef& lease) {
  ASSIGN_OR_RETURN(LiveSweep * sweep, FindSweep(lease.sweep_id));
  if (lease.trial < 0 || lease.trial >= static_cast<int64_t>(sweep->trials.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("lease.trial: sweep ", lease.sweep_id, " has no trial ", lease.trial));
  }
  TrialRecord& trial = sweep->trials[static_cast<size_t>(lease.trial)];
  const bool current = trial.attempts == lease.fencing_token && trial.worker_id == lease.worker_id &&
                       (trial.state == TrialState::kRunning ||
                        trial.state == TrialState::kCancelled);
  if (!current) return absl::FailedPreconditionError(StaleLeaseMessage(lease, trial));
  auto worker = workers_.find(lease.worker_id);
  if (worker != workers_.end()) worker->second.record.last_heartbeat_ms = NowMs();
  return &trial;
}

absl::StatusOr<Directive> Coordinator::Heartbeat(const LeaseRef& lease, int64_t step) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(TrialRecord * trial, CheckLease(lease));
  if (trial->state == TrialState::kCancelled) return Directive::kStop;
  lease_deadlines_[{lease.sweep_id, lease.trial}] = absl::Now() + options_.lease_timeout;
  return Directive::kContinue;
}

absl::StatusOr<Directive> Coordinator::ReportMetrics(const LeaseRef& lease,
                                                     const std::vector<MetricPoint>& points) {
  TrialRecord progress;
  {
    absl::MutexLock lock(&mu_);
    ASSIGN_OR_RETURN(TrialRecord * trial, CheckLease(lease));
    if (trial->state == TrialState::kCancelled) return Directive::kStop;
    lease_deadlines_[{lease.sweep_id, lease.trial}] = absl::Now() + options_.lease_timeout;
    if (points.empty()) return Directive::kContinue;
    progress = *trial;
    const LiveSweep& sweep = sweeps_.at(lease.sweep_id);
    for (const MetricPoint& point : points) {
      progress.step = std::max(progress.step, point.step);
      if (point.step == progress.step) progress.lr = point.lr;
      if (std::optional<double> value = point.Get(sweep.record.metric_name)) {
        progress.latest_metric = value;
      }
    }
    progress.updated_ms = NowMs();
  }
  // Written without the coordinator's lock, so that concurrent reports share one commit. The
  // store only touches the trial's row if it is still at this attempt.
  RETURN_IF_ERROR(store_->AppendMetrics(progress, points));
  Deferred deferred;
  {
    absl::MutexLock lock(&mu_);
    ASSIGN_OR_RETURN(TrialRecord * trial, CheckLease(lease));
    if (trial->state == TrialState::kCancelled) return Directive::kStop;
    trial->step = std::max(trial->step, progress.step);
    if (trial->step == progress.step) trial->lr = progress.lr;
    if (progress.latest_metric) trial->latest_metric = progress.latest_metric;
    trial->updated_ms = progress.updated_ms;
    NotifyWatchers(&deferred);
  }
  RunDeferred(deferred);
  return Directive::kContinue;
}

absl::Status Coordinator::CompleteTrial(const LeaseRef& lease, bool diverged,
                                        const std::string& reason,
                                        const std::vector<MetricPoint>& points) {
  Deferred deferred;
  {
    absl::MutexLock lock(&mu_);
    ASSIGN_OR_RETURN(TrialRecord * trial, CheckLease(lease));
    if (trial->state == TrialState::kCancelled) {
      ReleaseWorker(lease.worker_id, {lease.sweep_id, lease.trial});
      return absl::OkStatus();  // the cancellation stands
    }
    LiveSweep& sweep = sweeps_.at(lease.sweep_id);
    TrialRecord updated = *trial;
    updated.state = diverged ? TrialState::kDiverged : TrialState::kCompleted;
    updated.reason = reason;
    updated.updated_ms = NowMs();
    if (!points.empty()) RETURN_IF_ERROR(store_->AppendMetrics(updated, points));
    ASSIGN_OR_RETURN(std::vector<MetricPoint> history,
                     store_->GetMetrics(lease.sweep_id, lease.trial));
    if (!history.empty()) {
      updated.step = history.back().step;
      updated.lr = history.back().lr;
    }
    updated.score =
        diverged ? std::nullopt
                 : ScoreTrial(history, {sweep.record.metric_name, sweep.record.maximize,
                                        sweep.record.metric_summary, sweep.record.metric_last_k});
    updated.final_metrics_json = FinalMetricsJson(history);
    RETURN_IF_ERROR(Commit(sweep, std::move(updated)));
    lease_deadlines_.erase({lease.sweep_id, lease.trial});
    ReleaseWorker(lease.worker_id, {lease.sweep_id, lease.trial});
    MaybeFinishSweep(sweep);
    NotifyWatchers(&deferred);
  }
  RunDeferred(deferred);
  return absl::OkStatus();
}

absl::Status Coordinator::FailTrial(const LeaseRef& lease, const std::string& reason) {
  Deferred deferred;
  {
    absl::MutexLock lock(&mu_);
    ASSIGN_OR_RETURN(TrialRecord * trial, CheckLease(lease));
    LiveSweep& sweep = sweeps_.at(lease.sweep_id);
    if (trial->state == TrialState::kCancelled) {
      ReleaseWorker(lease.worker_id, {lease.sweep_id, lease.trial});
      return absl::OkStatus();
    }
    TrialRecord updated = *trial;
    updated.failures += 1;
    updated.reason = updated.reason.empty()
                         ? absl::StrCat("attempt ", updated.attempts, ": ", reason)
                         : absl::StrCat(updated.reason, "; attempt ", updated.attempts, ": ", reason);
    updated.worker_id.clear();
    updated.updated_ms = NowMs();
    const bool retry = updated.failures < sweep.record.max_failures;
    updated.state = retry ? TrialState::kPending : TrialState::kFailed;
    RETURN_IF_ERROR(Commit(sweep, std::move(updated)));
    lease_deadlines_.erase({lease.sweep_id, lease.trial});
    ReleaseWorker(lease.worker_id, {lease.sweep_id, lease.trial});
    if (retry) {
      pending_.insert({sweep.sequence, lease.trial});
      Dispatch(&deferred);
    }
    MaybeFinishSweep(sweep);
    NotifyWatchers(&deferred);
  }
  RunDeferred(deferred);
  return absl::OkStatus();
}

absl::Status Coordinator::PreemptTrial(const LeaseRef& lease, const std::string& reason) {
  Deferred deferred;
  {
    absl::MutexLock lock(&mu_);
    ASSIGN_OR_RETURN(TrialRecord * trial, CheckLease(lease));
    LiveSweep& sweep = sweeps_.at(lease.sweep_id);
    lease_deadlines_.erase({lease.sweep_id, lease.trial});
    ReleaseWorker(lease.worker_id, {lease.sweep_id, lease.trial});
    if (trial->state == TrialState::kCancelled) return absl::OkStatus();
    TrialRecord updated = *trial;
    updated.state = TrialState::kPreempted;
    updated.preemptions += 1;
    updated.worker_id.clear();
    updated.updated_ms = NowMs();
    RETURN_IF_ERROR(Commit(sweep, std::move(updated)));
    pending_.insert({sweep.sequence, lease.trial});
    Dispatch(&deferred);
    NotifyWatchers(&deferred);
  }
  RunDeferred(deferred);
  return absl::OkStatus();
}

void Coordinator::ReleaseWorker(const std::string& worker_id,
                                const std::pair<std::string, int64_t>& trial) {
  auto worker = workers_.find(worker_id);
  if (worker != workers_.end() && worker->second.lease == trial) worker->second.lease.reset();
}

void Coordinator::ReleaseAbandonedLease(LiveWorker& worker) {
  if (!worker.lease) return;
  const std::pair<std::string, int64_t> key = *worker.lease;
  worker.lease.reset();
  LiveSweep& sweep = sweeps_.at(key.first);
  const TrialRecord& trial = sweep.trials[static_cast<size_t>(key.second)];
  if (trial.worker_id != worker.record.id) return;  // leased to another worker since
  if (trial.state == TrialState::kRunning) {
    TrialRecord updated = trial;
    updated.state = TrialState::kPreempted;
    updated.preemptions += 1;
    updated.worker_id.clear();
    updated.updated_ms = NowMs();
    if (!Commit(sweep, std::move(updated)).ok()) return;  // lease expiry will retry
    pending_.insert({sweep.sequence, key.second});
  }
  lease_deadlines_.erase(key);
}

void Coordinator::MaybeFinishSweep(LiveSweep& sweep) {
  if (sweep.record.state != SweepState::kRunning) return;
  for (const TrialRecord& trial : sweep.trials) {
    if (!IsFinal(trial.state)) return;
  }
  if (store_->SetSweepState(sweep.record.id, SweepState::kFinished).ok()) {
    sweep.record.state = SweepState::kFinished;
  }
}

// --- Timers: lease expiry and long-poll deadlines ---

void Coordinator::TimerLoop() {
  while (true) {
    Deferred deferred;
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), kTimerPeriod)) return;
      const absl::Time now = absl::Now();
      ExpireLeases(now, &deferred);
      ExpireWaiters(now, &deferred);
    }
    RunDeferred(deferred);
  }
}

void Coordinator::ExpireLeases(absl::Time now, Deferred* deferred) {
  bool changed = false;
  for (auto it = lease_deadlines_.begin(); it != lease_deadlines_.end();) {
    const auto& [key, deadline] = *it;
    if (deadline > now) {
      ++it;
      continue;
    }
    LiveSweep& sweep = sweeps_.at(key.first);
    TrialRecord updated = sweep.trials[static_cast<size_t>(key.second)];
    const std::string worker_id = updated.worker_id;
    if (updated.state == TrialState::kRunning) {
      // The worker is gone (killed, partitioned, stopped): not the trial's failure.
      updated.state = TrialState::kPreempted;
      updated.preemptions += 1;
      updated.worker_id.clear();
      updated.updated_ms = NowMs();
      if (!Commit(sweep, std::move(updated)).ok()) {
        ++it;  // retried on the next tick
        continue;
      }
      pending_.insert({sweep.sequence, key.second});
    }
    ReleaseWorker(worker_id, key);
    it = lease_deadlines_.erase(it);
    changed = true;
  }
  if (changed) {
    Dispatch(deferred);
    NotifyWatchers(deferred);
  }
}

void Coordinator::ExpireWaiters(absl::Time now, Deferred* deferred) {
  auto expired = std::stable_partition(waiters_.begin(), waiters_.end(),
                                       [now](const Waiter& w) { return w.deadline > now; });
  for (auto it = expired; it != waiters_.end(); ++it) {
    deferred->push_back([done = std::move(it->done)] { done(std::optional<LeaseGrant>()); });
  }
  waiters_.erase(expired, waiters_.end());
}

void Coordinator::Dispatch(Deferred* deferred) {
  while (!waiters_.empty() && !pending_.empty()) {
    Waiter waiter = std::move(waiters_.front());
    waiters_.erase(waiters_.begin());
    absl::StatusOr<std::optional<LeaseGrant>> grant = GrantNext(waiter.worker_id);
    deferred->push_back([done = std::move(waiter.done), grant = std::move(grant)]() mutable {
      done(std::move(grant));
    });
  }
}

// --- Watchers ---

int64_t Coordinator::AddWatcher(std::function<void()> on_change) {
  absl::MutexLock lock(&mu_);
  const int64_t id = next_watcher_id_++;
  watchers_[id] = std::move(on_change);
  return id;
}

void Coordinator::RemoveWatcher(int64_t id) {
  absl::MutexLock lock(&mu_);
  watchers_.erase(id);
}

void Coordinator::NotifyWatchers(Deferred* deferred) {
  for (const auto& [id, on_change] : watchers_) deferred->push_back(on_change);
}

void Coordinator::RunDeferred(Deferred& deferred) {
  for (auto& work : deferred) work();
}

}  // namespace lrsweep
