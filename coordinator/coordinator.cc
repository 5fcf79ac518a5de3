#include "coordinator/coordinator.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <map>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/atomic_file.h"
#include "common/status_macros.h"
#include "sweep/scoring.h"
#include "sweep/sweep_planner.h"
#include "sweep/sweep_spec.h"

namespace lrsweep {
namespace {

constexpr absl::Duration kTimerPeriod = absl::Milliseconds(50);
// A worker that said goodbye stays in `lrsweep status` this long, as stopped.
constexpr absl::Duration kStoppedWorkersShownFor = absl::Minutes(10);

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

// Planning a large sweep allocates gigabytes of short-lived nodes and strings (150,000 trials:
// about 3 GB); glibc keeps freed heap pages, so without this the coordinator would stay that
// large for the rest of its life.
void ReturnFreedMemory() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

SweepRecord NewSweepRecord(const SweepSpec& spec, const std::string& yaml) {
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
  record.source_sha256 = SweepSourceDigest(yaml, spec.artifacts);
  return record;
}

std::vector<TrialRecord> NewTrialRecords(const SweepRecord& sweep, const SweepPlan& plan) {
  std::vector<TrialRecord> trials;
  trials.reserve(plan.trials.size());
  for (const TrialPlan& planned : plan.trials) {
    TrialRecord trial = NewTrialRecord(planned);
    trial.sweep_id = sweep.id;
    trial.updated_ms = sweep.created_ms;
    trials.push_back(std::move(trial));
  }
  return trials;
}

// The trial's progress after `points`, as a metric report records it.
TrialRecord WithProgress(TrialRecord trial, const std::vector<MetricPoint>& points,
                         const std::string& metric_name) {
  for (const MetricPoint& point : points) {
    trial.step = std::max(trial.step, point.step);
    if (point.step == trial.step) trial.lr = point.lr;
    if (std::optional<double> value = point.Get(metric_name)) trial.latest_metric = value;
  }
  trial.updated_ms = NowMs();
  return trial;
}

// `history` with `points` added, by step; a point for a step already there replaces it, as the
// store does.
std::vector<MetricPoint> MergePoints(std::vector<MetricPoint> history,
                                     const std::vector<MetricPoint>& points) {
  std::map<int64_t, MetricPoint> by_step;
  for (MetricPoint& point : history) by_step[point.step] = std::move(point);
  for (const MetricPoint& point : points) by_step[point.step] = point;
  std::vector<MetricPoint> merged;
  merged.reserve(by_step.size());
  for (auto& [step, point] : by_step) merged.push_back(std::move(point));
  return merged;
}

// How an attempt ended, scored from its whole metric history.
TrialOutcome ScoreOutcome(const std::vector<MetricPoint>& history, bool diverged,
                          const std::string& reason, const SweepRecord& sweep) {
  TrialOutcome outcome;
  outcome.diverged = diverged;
  outcome.reason = reason;
  if (!history.empty()) {
    outcome.last_step = history.back().step;
    outcome.last_lr = history.back().lr;
  }
  if (!diverged) {
    outcome.score = ScoreTrial(
        history, {sweep.metric_name, sweep.maximize, sweep.metric_summary, sweep.metric_last_k});
  }
  outcome.final_metrics_json = FinalMetricsJson(history);
  return outcome;
}

}  // namespace

Coordinator::Coordinator(Store* store, CoordinatorOptions options)
    : store_(store), options_(options), table_(options.lease_timeout) {}

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
  ASSIGN_OR_RETURN(std::vector<WorkerRecord> workers, store_->ListWorkers());
  ASSIGN_OR_RETURN(std::vector<SweepRecord> sweeps, store_->ListSweeps());
  std::vector<std::vector<TrialRecord>> trials;
  std::map<std::string, std::unique_ptr<SearchMethod>> methods;
  for (const SweepRecord& record : sweeps) {
    ASSIGN_OR_RETURN(trials.emplace_back(), store_->ListTrials(record.id));
    ASSIGN_OR_RETURN(std::unique_ptr<SearchMethod> method,
                     RestoreSearchMethod(record, trials.back()));
    if (method != nullptr) methods[record.id] = std::move(method);
  }
  absl::MutexLock lock(&mu_);
  for (WorkerRecord& worker : workers) table_.AddWorker(std::move(worker));
  const absl::Time now = absl::Now();
  for (size_t i = 0; i < sweeps.size(); ++i) {
    table_.AddSweep(std::move(sweeps[i]), std::move(trials[i]), now);
  }
  search_methods_ = std::move(methods);
  return absl::OkStatus();
}

// --- Sweeps ---

absl::StatusOr<SweepSpec> Coordinator::ParseSubmittedSweep(const std::string& yaml,
                                                           const std::string& file_name,
                                                           const ArtifactManifest& artifacts,
                                                           const std::string& base_dir) {
  ASSIGN_OR_RETURN(SweepSpec spec, ParseSweep(yaml, file_name.empty() ? "sweep.yaml" : file_name));
  spec.artifacts = artifacts;
  spec.base_dir = base_dir;
  return spec;
}

std::vector<std::string> Coordinator::SubmitWarnings(const SweepSpec& spec,
                                                     const SweepPlan& plan) {
  std::vector<std::string> warnings = spec.warnings;
  for (const PlanWarning& warning : plan.warnings) {
    warnings.push_back(FormatPlanWarning(warning, static_cast<int64_t>(plan.trials.size())));
  }
  return warnings;
}

absl::StatusOr<SubmitResult> Coordinator::SubmitSweep(const std::string& yaml,
                                                      const std::string& file_name,
                                                      const ArtifactManifest& artifacts,
                                                      const std::string& base_dir) {
  ASSIGN_OR_RETURN(SweepSpec spec, ParseSubmittedSweep(yaml, file_name, artifacts, base_dir));
  ASSIGN_OR_RETURN(SweepPlan plan, PlanSweep(spec));
  SubmitResult result;
  result.warnings = SubmitWarnings(spec, plan);
  SweepRecord record = NewSweepRecord(spec, yaml);
  std::vector<TrialRecord> trials = NewTrialRecords(record, plan);
  ASSIGN_OR_RETURN(std::unique_ptr<SearchMethod> method, MakeSearchMethod(spec));
  if (method != nullptr) {
    for (const TrialRecord& trial : trials) method->OnTrialCreated(trial);
  }
  RETURN_IF_ERROR(store_->CreateSweep(record, trials));
  result.sweep_id = record.id;
  result.total_trials = static_cast<int64_t>(trials.size());

  Deferred deferred;
  BeginCommit();
  {
    absl::MutexLock lock(&mu_);
    if (method != nullptr) search_methods_[record.id] = std::move(method);
    table_.AddSweep(std::move(record), std::move(trials), absl::Now());
    NotifyWatchers(&deferred);
  }
  EndCommit(&deferred);  // parked workers get the new trials
  RunDeferred(deferred);
  ReturnFreedMemory();
  return result;
}

absl::StatusOr<SweepView> Coordinator::GetSweep(const std::string& sweep_id) {
  absl::MutexLock lock(&mu_);
  return table_.GetSweep(sweep_id);
}

std::vector<SweepView> Coordinator::ListSweeps() {
  absl::MutexLock lock(&mu_);
  return table_.ListSweeps();
}

std::vector<WorkerView> Coordinator::ListWorkers() {
  absl::MutexLock lock(&mu_);
  std::set<std::string> parked;
  for (const Waiter& waiter : waiters_) parked.insert(waiter.worker_id);
  const int64_t now = NowMs();
  return table_.ListWorkers(parked, now - absl::ToInt64Milliseconds(options_.lease_timeout),
                            now - absl::ToInt64Milliseconds(kStoppedWorkersShownFor));
}

absl::StatusOr<std::vector<TrialRecord>> Coordinator::ListTrials(const std::string& sweep_id) {
  absl::MutexLock lock(&mu_);
  return table_.ListTrials(sweep_id);
}

absl::StatusOr<std::vector<MetricPoint>> Coordinator::GetMetrics(const std::string& sweep_id,
                                                                 int64_t trial) {
  {
    absl::MutexLock lock(&mu_);
    RETURN_IF_ERROR(table_.FindTrial(sweep_id, trial).status());
  }
  return store_->GetMetrics(sweep_id, trial);
}

absl::StatusOr<std::vector<TrialEvent>> Coordinator::ListTrialEvents(const std::string& sweep_id,
                                                                     int64_t trial) {
  {
    absl::MutexLock lock(&mu_);
    RETURN_IF_ERROR(table_.FindTrial(sweep_id, trial).status());
  }
  return store_->ListTrialEvents(sweep_id, trial);
}

absl::StatusOr<int64_t> Coordinator::CancelSweep(const std::string& sweep_id) {
  int64_t cancelled = 0;
  RETURN_IF_ERROR(Transition([&](const TrialTable& table) -> absl::StatusOr<StoreWrite> {
    ASSIGN_OR_RETURN(StoreWrite write, table.Cancel(sweep_id, NowMs()));
    cancelled = static_cast<int64_t>(write.trials.size());
    return write;
  }));
  return cancelled;
}

absl::StatusOr<int64_t> Coordinator::RetrySweep(const std::string& sweep_id, bool cancelled) {
  {
    // A sweep's search method is made when it is submitted or loaded, never later.
    absl::MutexLock lock(&mu_);
    ASSIGN_OR_RETURN(SweepView view, table_.GetSweep(sweep_id));
    if (view.record.archived_ms > 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "sweep ", sweep_id, " is archived: its checkpoints are deleted, so its trials cannot "
          "resume. Submit the configurations you want again as a new sweep"));
    }
    if (search_methods_.count(sweep_id) > 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "sweep ", sweep_id,
          " has a search method, which already decided on its trials' ends; retrying them would "
          "feed it the same trials twice. Submit the configurations you want again as a new "
          "sweep"));
    }
  }
  int64_t retried = 0;
  RETURN_IF_ERROR(Transition([&](const TrialTable& table) -> absl::StatusOr<StoreWrite> {
    ASSIGN_OR_RETURN(StoreWrite write, table.Retry(sweep_id, cancelled, NowMs()));
    retried = static_cast<int64_t>(write.trials.size());
    return write;
  }));
  return retried;
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
  table_.AddWorker(record);
  return record;
}

absl::Status Coordinator::UnregisterWorker(const std::string& worker_id) {
  // A lease it still holds goes back at once, not at its expiry.
  RETURN_IF_ERROR(Transition([&](const TrialTable& table) -> absl::StatusOr<StoreWrite> {
    return table.ReleaseAbandoned(worker_id, NowMs());
  }));
  absl::StatusOr<WorkerRecord> stopped;
  {
    absl::MutexLock lock(&mu_);
    stopped = table_.MarkStopped(worker_id, NowMs());
  }
  RETURN_IF_ERROR(stopped.status());
  return store_->UpsertWorker(*stopped);
}

absl::StatusOr<Directive> Coordinator::Heartbeat(const LeaseRef& lease, int64_t step) {
  absl::MutexLock lock(&mu_);
  return table_.Renew(lease, absl::Now());
}

absl::StatusOr<Directive> Coordinator::ReportMetrics(const LeaseRef& lease,
                                                     const std::vector<MetricPoint>& points) {
  TrialRecord progress;
  {
    absl::MutexLock lock(&mu_);
    ASSIGN_OR_RETURN(Directive directive, table_.Renew(lease, absl::Now()));
    if (directive == Directive::kStop || points.empty()) return directive;
    ASSIGN_OR_RETURN(const TrialRecord* trial, table_.Leased(lease));
    ASSIGN_OR_RETURN(SweepView sweep, table_.GetSweep(lease.sweep_id));
    progress = WithProgress(*trial, points, sweep.record.metric_name);
  }
  // Written without the coordinator's lock, so that concurrent reports share one commit. The
  // store only touches the trial's row if it is still at this attempt.
  RETURN_IF_ERROR(store_->AppendMetrics(progress, points));
  Deferred deferred;
  std::vector<SearchOperation> operations;
  {
    absl::MutexLock lock(&mu_);
    ASSIGN_OR_RETURN(const TrialRecord* trial, table_.Leased(lease));
    if (trial->state != TrialState::kRunning) return Directive::kStop;
    table_.ApplyProgress(progress);
    operations = DecideAfterReport(lease, points);
    NotifyWatchers(&deferred);
  }
  RunDeferred(deferred);
  for (const SearchOperation& operation : operations) {
    if (operation.kind == SearchOperation::Kind::kStop && operation.trial == lease.trial) {
      return StopForSearch(lease, operation.reason);
    }
  }
  return Directive::kContinue;
}

absl::Status Coordinator::CompleteTrial(const LeaseRef& lease, bool diverged,
                                        const std::string& reason,
                                        const std::vector<MetricPoint>& points) {
  ASSIGN_OR_RETURN(const TrialOutcome outcome, ScoreCompletion(lease, diverged, reason, points));
  return Transition([&](const TrialTable& table) -> absl::StatusOr<StoreWrite> {
    ASSIGN_OR_RETURN(const TrialRecord* trial, table.Leased(lease));
    // A cancellation or a stop stands.
    const bool cancelled = trial->state != TrialState::kRunning;
    ASSIGN_OR_RETURN(StoreWrite write, table.Complete(lease, outcome, NowMs()));
    if (!cancelled && !points.empty()) {
      write.metrics.push_back({lease.sweep_id, lease.trial, points});
    }
    return write;
  });
}

absl::StatusOr<TrialOutcome> Coordinator::ScoreCompletion(const LeaseRef& lease, bool diverged,
                                                          const std::string& reason,
                                                          const std::vector<MetricPoint>& points) {
  TrialRecord trial;
  SweepRecord sweep;
  {
    absl::MutexLock lock(&mu_);
    ASSIGN_OR_RETURN(const TrialRecord* leased, table_.Leased(lease));
    trial = *leased;
    ASSIGN_OR_RETURN(SweepView view, table_.GetSweep(lease.sweep_id));
    sweep = view.record;
  }
  TrialOutcome outcome;
  outcome.diverged = diverged;
  outcome.reason = reason;
  // Not scored: it stays cancelled or stopped.
  if (trial.state != TrialState::kRunning) return outcome;
  // The score comes from the whole history, read without the locks (only this lease writes the
  // trial's metrics) with the last points, which are stored with the outcome.
  ASSIGN_OR_RETURN(std::vector<MetricPoint> history,
                   store_->GetMetrics(lease.sweep_id, lease.trial));
  return ScoreOutcome(MergePoints(std::move(history), points), diverged, reason, sweep);
}

absl::Status Coordinator::FailTrial(const LeaseRef& lease, const std::string& reason) {
  return Transition(
      [&](const TrialTable& table) { return table.Fail(lease, reason, NowMs()); });
}

absl::Status Coordinator::PreemptTrial(const LeaseRef& lease, const std::string& reason) {
  return Transition([&](const TrialTable& table) { return table.Preempt(lease, NowMs()); });
}

// --- Timers: lease expiry and long-poll deadlines ---

void Coordinator::TimerLoop() {
  while (true) {
    Deferred deferred;
    bool expired_leases = false;
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), kTimerPeriod)) return;
      const absl::Time now = absl::Now();
      ExpireWaiters(now, &deferred);
      const std::optional<absl::Time> next = table_.NextLeaseDeadline();
      expired_leases = next && *next <= now;
    }
    RunDeferred(deferred);
    if (expired_leases) {
      // A failed write is retried on the next tick.
      Transition([](const TrialTable& table) { return table.Expire(absl::Now(), NowMs()); })
          .IgnoreError();
    }
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
