#include "dashboard/dashboard_api.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "dashboard/downsample.h"
#include "report/range_test_summary.h"
#include "report/report.h"
#include "sweep/plan_schedule.h"

namespace lrsweep {
namespace {

using Json = nlohmann::ordered_json;

constexpr int64_t kMaxPoints = 5000;
// The end of a trial log a page shows unless asked for more.
constexpr int64_t kDefaultLogTail = 64 * 1024;
constexpr int64_t kMaxPageSize = 1000;
const char* const kCurveMetrics[] = {"train_loss", "val_loss", "val_accuracy", "test_accuracy",
                                     "lr", "momentum"};

// --- Query parameters ---

absl::StatusOr<int64_t> IntParam(const ApiRequest& request, const std::string& name,
                                 int64_t fallback, int64_t min, int64_t max) {
  auto found = request.query.find(name);
  if (found == request.query.end()) return fallback;
  int64_t value = 0;
  if (!absl::SimpleAtoi(found->second, &value) || value < min || value > max) {
    return absl::InvalidArgumentError(absl::StrCat("query parameter '", name,
                                                   "': expected a whole number from ", min,
                                                   " to ", max, ", got '", found->second, "'"));
  }
  return value;
}

absl::StatusOr<std::string> ChoiceParam(const ApiRequest& request, const std::string& name,
                                        const std::string& fallback,
                                        const std::vector<std::string>& allowed) {
  auto found = request.query.find(name);
  if (found == request.query.end() || found->second.empty()) return fallback;
  if (std::find(allowed.begin(), allowed.end(), found->second) == allowed.end()) {
    return absl::InvalidArgumentError(absl::StrCat("query parameter '", name, "': expected one of ",
                                                   absl::StrJoin(allowed, ", "), ", got '",
                                                   found->second, "'"));
  }
  return found->second;
}

// The parameter's value, "" when absent.
std::string QueryParam(const ApiRequest& request, const std::string& name) {
  auto found = request.query.find(name);
  return found == request.query.end() ? "" : found->second;
}

// "a,b" as {"a", "b"}; empty when absent.
std::vector<std::string> CommaList(const ApiRequest& request, const std::string& name) {
  return absl::StrSplit(QueryParam(request, name), ',', absl::SkipEmpty());
}

// "RUNNING,FAILED" as a set of states; empty: every state.
absl::StatusOr<std::set<TrialState>> StateFilter(const ApiRequest& request) {
  std::set<TrialState> states;
  auto found = request.query.find("state");
  if (found == request.query.end() || found->second.empty()) return states;
  for (absl::string_view name : absl::StrSplit(found->second, ',')) {
    std::optional<TrialState> state = ParseTrialState(name);
    if (!state) {
      return absl::InvalidArgumentError(absl::StrCat(
          "query parameter 'state': unknown trial state '", name,
          "'; use PENDING, RUNNING, COMPLETED, DIVERGED, FAILED, CANCELLED, PREEMPTED or STOPPED"));
    }
    states.insert(*state);
  }
  return states;
}

absl::StatusOr<int64_t> TrialNumber(const std::string& text) {
  int64_t trial = 0;
  if (!absl::SimpleAtoi(text, &trial) || trial < 0) {
    return absl::NotFoundError(absl::StrCat("no trial '", text, "': trials are numbered from 0"));
  }
  return trial;
}

// --- What a trial and a sweep look like on the pages ---

Json ParseOrEmpty(const std::string& text) {
  Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? Json::object() : parsed;
}

Json OptionalNumber(const std::optional<double>& value) {
  if (!value || !std::isfinite(*value)) return nullptr;
  return *value;
}

Json TrialJson(const TrialRecord& trial) {
  const Json plan = ParseOrEmpty(trial.plan_json);
  Json out;
  out["trial"] = trial.trial;
  out["config"] = trial.config;
  out["seed"] = trial.seed;
  out["state"] = TrialStateName(trial.state);
  out["params"] = ParseOrEmpty(trial.params_json);
  out["schedule"] = plan.contains("schedule") && plan["schedule"].contains("type")
                        ? plan["schedule"]["type"]
                        : Json(plan.contains("range_test") ? "range test" : "");
  out["peak_lr"] = plan.value("base_lr", 0.0);
  out["range_test"] = plan.contains("range_test");
  out["step"] = trial.step;
  out["total_steps"] = trial.total_steps;
  out["lr"] = trial.lr;
  out["score"] = OptionalNumber(trial.score);
  out["latest"] = OptionalNumber(trial.latest_metric);
  out["attempts"] = trial.attempts;
  out["failures"] = trial.failures;
  out["preemptions"] = trial.preemptions;
  out["reason"] = trial.reason;
  out["worker"] = trial.worker_id;
  out["checkpoint_step"] = trial.checkpoint_step;
  out["checkpoint_error"] = trial.checkpoint_error;
  out["updated_ms"] = trial.updated_ms;
  return out;
}

// Fraction of the sweep's steps done (final trials count whole), and the best score so far.
struct Progress {
  double fraction = 0.0;
  int64_t finished = 0;
  int64_t failures = 0;
  const TrialRecord* best = nullptr;
};

Progress ProgressOf(const SweepView& sweep, const std::vector<TrialRecord>& trials) {
  Progress progress;
  double done = 0.0;
  double total = 0.0;
  for (const TrialRecord& trial : trials) {
    const double steps = static_cast<double>(std::max<int64_t>(trial.total_steps, 1));
    total += steps;
    if (IsFinal(trial.state)) {
      ++progress.finished;
      done += steps;
    } else {
      done += std::min(static_cast<double>(trial.step), steps);
    }
    if (trial.state == TrialState::kFailed || trial.state == TrialState::kDiverged) {
      ++progress.failures;
    }
    if (trial.score && std::isfinite(*trial.score) &&
        (progress.best == nullptr ||
         (sweep.record.maximize ? *trial.score > *progress.best->score
                                : *trial.score < *progress.best->score))) {
      progress.best = &trial;
    }
  }
  progress.fraction = total > 0 ? done / total : 0.0;
  return progress;
}

Json SweepSummaryJson(const SweepView& sweep, const std::vector<TrialRecord>& trials) {
  const SweepRecord& record = sweep.record;
  const Progress progress = ProgressOf(sweep, trials);
  Json out;
  out["id"] = record.id;
  out["name"] = record.name;
  out["state"] = SweepStateName(record.state);
  out["file"] = record.file_name;
  out["note"] = record.note;
  out["tags"] = record.tags;
  out["archived_ms"] = record.archived_ms > 0 ? Json(record.archived_ms) : Json(nullptr);
  out["created_ms"] = record.created_ms;
  out["metric"] = {{"name", record.metric_name},
                   {"goal", record.maximize ? "maximize" : "minimize"}};
  out["trials"] = sweep.total_trials;
  Json counts = Json::object();
  for (const auto& [state, count] : sweep.counts) counts[std::string(TrialStateName(state))] = count;
  out["counts"] = counts;
  out["finished"] = progress.finished;
  out["failures"] = progress.failures;
  out["progress"] = progress.fraction;
  out["best"] = progress.best == nullptr
                    ? Json(nullptr)
                    : Json({{"trial", progress.best->trial},
                            {"config", progress.best->config},
                            {"score", *progress.best->score}});
  // ETA: the time so far, scaled by the steps still to train. Unknown before any step.
  const double elapsed_s = static_cast<double>(absl::ToUnixMillis(absl::Now()) - record.created_ms) / 1000.0;
  out["eta_seconds"] = record.state == SweepState::kRunning && progress.fraction > 0 &&
                               progress.fraction < 1 && elapsed_s > 0
                           ? Json(elapsed_s * (1 - progress.fraction) / progress.fraction)
                           : Json(nullptr);
  return out;
}

// One metric of a trial's history as [step, value] pairs, thinned to `max_points`.
Json CurveJson(const std::vector<MetricPoint>& history, const std::string& metric,
               size_t max_points) {
  std::vector<CurvePoint> points;
  for (const MetricPoint& point : history) {
    std::optional<double> value;
    if (metric == "lr") {
      value = point.lr;
    } else if (metric == "momentum") {
      value = point.momentum;
    } else {
      value = point.Get(metric);
    }
    if (value && std::isfinite(*value)) {
      points.push_back({static_cast<double>(point.step), *value});
    }
  }
  Json out = Json::array();
  for (const CurvePoint& p : DownsampleLttb(points, max_points)) {
    out.push_back({static_cast<int64_t>(p.x), p.y});
  }
  return out;
}

// The LR the trial's schedule plans at each step (thinned), or null when it has none.
Json PlannedLrJson(const TrialRecord& trial, size_t max_points) {
  absl::StatusOr<Schedule> schedule = ScheduleOfPlan(
      trial.plan_json, absl::StrCat("trial ", trial.trial, " of sweep ", trial.sweep_id));
  if (!schedule.ok()) return nullptr;
  const int64_t total = std::max<int64_t>(trial.total_steps, 1);
  const int64_t stride = std::max<int64_t>(1, total / static_cast<int64_t>(4 * max_points));
  std::vector<CurvePoint> points;
  for (int64_t step = 0; step < total; step += stride) {
    points.push_back({static_cast<double>(step), schedule->PlannedLrAt(step)});
  }
  Json out = Json::array();
  for (const CurvePoint& p : DownsampleLttb(points, max_points)) {
    out.push_back({static_cast<int64_t>(p.x), p.y});
  }
  return out;
}

// Orders trials for the table: by `key`, ascending or not; trials without a value last.
void SortTrials(std::vector<TrialRecord>& trials, const std::string& key, bool ascending) {
  auto value = [&key](const TrialRecord& t) -> std::optional<double> {
    if (key == "score") return t.score;
    if (key == "step") return static_cast<double>(t.step);
    if (key == "lr") return t.lr;
    if (key == "config") return static_cast<double>(t.config);
    if (key == "updated") return static_cast<double>(t.updated_ms);
    if (key == "state") return static_cast<double>(static_cast<int>(t.state));
    return static_cast<double>(t.trial);
  };
  std::stable_sort(trials.begin(), trials.end(), [&](const TrialRecord& a, const TrialRecord& b) {
    const std::optional<double> va = value(a);
    const std::optional<double> vb = value(b);
    if (!va || !vb) return va.has_value() && !vb.has_value();
    if (*va == *vb) return a.trial < b.trial;
    return ascending ? *va < *vb : *va > *vb;
  });
}

}  // namespace

int HttpStatusOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk: return 200;
    case absl::StatusCode::kInvalidArgument: return 400;
    case absl::StatusCode::kUnauthenticated: return 401;
    case absl::StatusCode::kPermissionDenied: return 403;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kFailedPrecondition: return 409;
    case absl::StatusCode::kUnimplemented: return 501;
    case absl::StatusCode::kUnavailable: return 503;
    default: return 500;
  }
}

ApiResponse ErrorResponse(const absl::Status& status) {
  ApiResponse response;
  response.status = HttpStatusOf(status);
  response.body = {{"error",
                    {{"code", absl::StatusCodeToString(status.code())},
                     {"message", std::string(status.message())}}}};
  return response;
}

DashboardApi::DashboardApi(DashboardSource* source, ChangeCounter* changes,
                           DashboardApiOptions options)
    : source_(source), changes_(changes), options_(options) {}

DashboardApi::~DashboardApi() {
  std::map<std::string, std::thread> running;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    running.swap(diagnosing_);
  }
  for (auto& [sweep, thread] : running) thread.join();
}

ApiResponse DashboardApi::Handle(const ApiRequest& request) {
  // Only the sweep actions change anything, and only they are POSTs.
  const bool change = absl::EndsWith(request.path, "/cancel") ||
                      absl::EndsWith(request.path, "/retry") ||
                      absl::EndsWith(request.path, "/labels") ||
                      absl::EndsWith(request.path, "/archive") ||
                      absl::EndsWith(request.path, "/delete");
  const char* allowed = change ? "POST" : "GET";
  if (request.method != allowed) {
    ApiResponse response = ErrorResponse(absl::InvalidArgumentError(
        absl::StrCat(request.method, " is not allowed on ", request.path, "; use ", allowed)));
    response.status = 405;
    response.body["error"]["code"] = "METHOD_NOT_ALLOWED";
    return response;
  }
  // The version before anything is read: a change made while this request reads is newer, so
  // the page that shows this answer asks again.
  const int64_t version = changes_->version();
  absl::StatusOr<Json> body = Route(request);
  if (!body.ok()) return ErrorResponse(body.status());
  if (body->contains("version") && !absl::EndsWith(request.path, "/changes")) {
    (*body)["version"] = version;
  }
  return ApiResponse{200, *std::move(body)};
}

absl::StatusOr<Json> DashboardApi::Route(const ApiRequest& request) {
  const std::vector<std::string> parts =
      absl::StrSplit(request.path, '/', absl::SkipEmpty());
  if (parts.size() < 3 || parts[0] != "api" || parts[1] != "v1") {
    return absl::NotFoundError(absl::StrCat("no route ", request.path, " (see docs/dashboard.md)"));
  }
  const size_t n = parts.size();
  const bool sweep_route = parts[2] == "sweeps" && n >= 4;
  const bool cancel = sweep_route && n == 5 && parts[4] == "cancel";
  const bool retry = sweep_route && n == 5 && parts[4] == "retry";
  if (sweep_route && n == 5 && (parts[4] == "labels" || parts[4] == "archive" ||
                                parts[4] == "delete")) {
    return SweepAction(parts[3], parts[4], request);
  }
  if (n == 3 && parts[2] == "sweeps") return SweepList(request);
  if (n == 3 && parts[2] == "workers") return WorkerList();
  if (n == 3 && parts[2] == "changes") return Changes(request);
  if (sweep_route && n == 4) return SweepPage(parts[3], request);
  if (sweep_route && n == 5 && parts[4] == "trials") return TrialTable(parts[3], request);
  if (sweep_route && n == 5 && parts[4] == "curves") return SweepCurves(parts[3], request);
  if (sweep_route && n == 6 && parts[4] == "trials") return TrialPage(parts[3], parts[5], request);
  if (sweep_route && n == 7 && parts[4] == "trials" && parts[6] == "log") {
    return TrialLogPage(parts[3], parts[5], request);
  }
  if (cancel) {
    ASSIGN_OR_RETURN(int64_t cancelled, source_->CancelSweep(parts[3]));
    return Json({{"sweep", parts[3]}, {"cancelled", cancelled}});
  }
  if (retry) {
    ASSIGN_OR_RETURN(std::string cancelled, ChoiceParam(request, "cancelled", "false",
                                                         {"true", "false"}));
    ASSIGN_OR_RETURN(int64_t retried, source_->RetrySweep(parts[3], cancelled == "true"));
    return Json({{"sweep", parts[3]}, {"retried", retried}});
  }
  return absl::NotFoundError(absl::StrCat("no route ", request.path, " (see docs/dashboard.md)"));
}

absl::StatusOr<Json> DashboardApi::SweepList(const ApiRequest& request) {
  ASSIGN_OR_RETURN(std::string archived,
                   ChoiceParam(request, "archived", "false", {"true", "false"}));
  absl::StatusOr<SweepFilter> filter =
      MakeSweepFilter(CommaList(request, "tag"), QueryParam(request, "state"),
                      QueryParam(request, "q"), archived == "true");
  if (!filter.ok()) return absl::InvalidArgumentError(absl::StrCat("query: ", filter.status().message()));
  Json sweeps = Json::array();
  std::set<std::string> tags;  // of every sweep, for the page's tag filter
  int64_t hidden = 0;
  for (const SweepView& sweep : source_->ListSweeps()) {
    tags.insert(sweep.record.tags.begin(), sweep.record.tags.end());
    if (!filter->Matches(sweep)) {
      ++hidden;
      continue;
    }
    absl::StatusOr<std::vector<TrialRecord>> trials = source_->ListTrials(sweep.record.id);
    if (!trials.ok()) continue;  // deleted meanwhile
    sweeps.push_back(SweepSummaryJson(sweep, *trials));
  }
  return Json({{"version", changes_->version()},
               {"sweeps", sweeps},
               {"hidden", hidden},
               {"tags", tags}});
}

absl::StatusOr<Json> DashboardApi::SweepAction(const std::string& sweep_id,
                                               const std::string& action,
                                               const ApiRequest& request) {
  if (action == "labels") {
    SweepLabelChange change;
    if (auto note = request.query.find("note"); note != request.query.end()) {
      change.note = note->second;
    }
    change.add_tags = CommaList(request, "tag");
    change.remove_tags = CommaList(request, "untag");
    ASSIGN_OR_RETURN(SweepView sweep, source_->LabelSweep(sweep_id, change));
    ASSIGN_OR_RETURN(std::vector<TrialRecord> trials, source_->ListTrials(sweep_id));
    return Json({{"sweep", SweepSummaryJson(sweep, trials)}});
  }
  ASSIGN_OR_RETURN(SpaceFreed freed, action == "archive" ? source_->ArchiveSweep(sweep_id)
                                                         : source_->DeleteSweep(sweep_id));
  return Json({{"sweep", sweep_id},
               {"freed",
                {{"trials", freed.trials},
                 {"metric_points", freed.metric_points},
                 {"checkpoints", freed.checkpoints},
                 {"checkpoint_bytes", freed.checkpoint_bytes},
                 {"log_bytes", freed.log_bytes}}}});
}

absl::StatusOr<Json> DashboardApi::SweepPage(const std::string& sweep_id,
                                             const ApiRequest& request) {
  const int64_t version = changes_->version();
  ASSIGN_OR_RETURN(int64_t ranking_limit,
                   IntParam(request, "ranking_limit", 500, 0, int64_t{1} << 40));
  ASSIGN_OR_RETURN(SweepView sweep, source_->GetSweep(sweep_id));
  ASSIGN_OR_RETURN(std::vector<TrialRecord> trials, source_->ListTrials(sweep_id));
  ASSIGN_OR_RETURN(Json report, ReportOf(sweep));
  report.erase("trials");  // the trial table is paged: /trials
  // The best configurations first; 0 asks for all of them.
  Json& ranking = report["ranking"];
  report["ranking_total"] = ranking.size();
  if (ranking_limit > 0 && static_cast<int64_t>(ranking.size()) > ranking_limit) {
    ranking.erase(ranking.begin() + ranking_limit, ranking.end());
  }
  return Json({{"version", version},
               {"sweep", SweepSummaryJson(sweep, trials)},
               {"report", std::move(report)}});
}

namespace {

// What a sweep's cached report is valid for (CachedReport::key).
std::string ReportCacheKey(const SweepView& sweep, int64_t version) {
  if (sweep.record.state == SweepState::kRunning) return absl::StrCat("v", version);
  std::string key = absl::StrCat(SweepStateName(sweep.record.state), "/", sweep.total_trials);
  for (const auto& [state, count] : sweep.counts) {
    absl::StrAppend(&key, "/", TrialStateName(state), "=", count);
  }
  return key;
}

}  // namespace

absl::StatusOr<Json> DashboardApi::ReportOf(const SweepView& sweep) {
  std::string key = ReportCacheKey(sweep, changes_->version());
  {
    absl::MutexLock lock(&mu_);
    // A background run of diagnoses that ends makes the reports built before it stale.
    absl::StrAppend(&key, "#", diagnosis_runs_ended_[sweep.record.id]);
    auto cached = reports_.find(sweep.record.id);
    if (cached != reports_.end() && cached->second.key == key) return cached->second.report;
  }
  ASSIGN_OR_RETURN(std::vector<TrialRecord> trials, source_->ListTrials(sweep.record.id));
  // Only the range tests' curves go into the report itself; diagnoses come from the cache.
  std::map<int64_t, std::vector<MetricPoint>> histories;
  for (const TrialRecord& trial : trials) {
    if (!IsRangeTestTrial(trial)) continue;
    ASSIGN_OR_RETURN(histories[trial.trial], source_->GetMetrics(sweep.record.id, trial.trial));
  }
  ReportOptions options;
  options.diagnose = false;
  SweepReport report = BuildReport(sweep, trials, std::move(histories), options);
  int64_t pending = 0;
  ASSIGN_OR_RETURN(report.diagnoses, DiagnosesOf(sweep.record.id, report.trials, &pending));
  Json json = RenderJson(report);
  json["diagnoses_pending"] = pending;
  absl::MutexLock lock(&mu_);
  reports_[sweep.record.id] = CachedReport{key, json};
  return json;
}

absl::StatusOr<std::vector<Diagnosis>> DashboardApi::DiagnosesOf(
    const std::string& sweep_id, const std::vector<TrialRecord>& trials, int64_t* pending) {
  std::vector<Diagnosis> all;
  std::vector<TrialRecord> missing;
  {
    absl::MutexLock lock(&mu_);
    FinalDiagnoses& sweep = diagnoses_[sweep_id];
    for (const TrialRecord& trial : trials) {
      if (!IsFinal(trial.state)) continue;
      auto found = sweep.find(trial.trial);
      if (found != sweep.end() && found->second.attempts == trial.attempts) {
        all.insert(all.end(), found->second.diagnoses.begin(), found->second.diagnoses.end());
      } else {
        missing.push_back(trial);
      }
    }
  }
  *pending = 0;
  if (static_cast<int64_t>(missing.size()) > options_.diagnose_inline_limit) {
    *pending = static_cast<int64_t>(missing.size());
    std::thread ended;
    {
      absl::MutexLock lock(&mu_);
      if (diagnosed_.erase(sweep_id) > 0) {  // its last run ended, and trials finished since
        ended = std::move(diagnosing_[sweep_id]);
        diagnosing_.erase(sweep_id);
      }
      if (!stopping_ && diagnosing_.count(sweep_id) == 0) {
        diagnosing_[sweep_id] = std::thread(&DashboardApi::DiagnoseInBackground, this, sweep_id,
                                            std::move(missing));
      }
    }
    if (ended.joinable()) ended.join();
    return all;
  }
  for (const TrialRecord& trial : missing) {
    ASSIGN_OR_RETURN(std::vector<Diagnosis> found, Diagnose(sweep_id, trial));
    all.insert(all.end(), found.begin(), found.end());
  }
  return all;
}

absl::StatusOr<std::vector<Diagnosis>> DashboardApi::Diagnose(const std::string& sweep_id,
                                                             const TrialRecord& trial) {
  ASSIGN_OR_RETURN(std::vector<MetricPoint> history, source_->GetMetrics(sweep_id, trial.trial));
  std::vector<Diagnosis> found = DiagnoseTrial(trial, history);
  absl::MutexLock lock(&mu_);
  diagnoses_[sweep_id][trial.trial] = AttemptDiagnoses{trial.attempts, found};
  return found;
}

void DashboardApi::DiagnoseInBackground(std::string sweep_id, std::vector<TrialRecord> trials) {
  for (const TrialRecord& trial : trials) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    if (!Diagnose(sweep_id, trial).ok()) break;  // the sweep was deleted meanwhile
  }
  {
    absl::MutexLock lock(&mu_);
    diagnosed_.insert(sweep_id);
    ++diagnosis_runs_ended_[sweep_id];  // the reports built without these diagnoses are stale
  }
  changes_->Bump();  // open pages ask again, and get the report with every diagnosis
}

absl::StatusOr<Json> DashboardApi::TrialTable(const std::string& sweep_id,
                                              const ApiRequest& request) {
  ASSIGN_OR_RETURN(int64_t offset, IntParam(request, "offset", 0, 0, int64_t{1} << 40));
  ASSIGN_OR_RETURN(int64_t limit, IntParam(request, "limit", 100, 1, kMaxPageSize));
  ASSIGN_OR_RETURN(std::string sort,
                   ChoiceParam(request, "sort", "trial",
                               {"trial", "config", "score", "step", "lr", "state", "updated"}));
  ASSIGN_OR_RETURN(std::string order, ChoiceParam(request, "order", "", {"asc", "desc"}));
  ASSIGN_OR_RETURN(std::set<TrialState> states, StateFilter(request));
  ASSIGN_OR_RETURN(SweepView sweep, source_->GetSweep(sweep_id));
  ASSIGN_OR_RETURN(std::vector<TrialRecord> all, source_->ListTrials(sweep_id));
  std::vector<TrialRecord> trials;
  for (TrialRecord& trial : all) {
    if (states.empty() || states.count(trial.state) > 0) trials.push_back(std::move(trial));
  }
  // By score, the best first unless asked otherwise; by anything else, ascending.
  const bool ascending = order.empty() ? (sort != "score" || !sweep.record.maximize) : order == "asc";
  SortTrials(trials, sort, ascending);
  Json rows = Json::array();
  for (int64_t i = offset; i < static_cast<int64_t>(trials.size()) && i < offset + limit; ++i) {
    rows.push_back(TrialJson(trials[static_cast<size_t>(i)]));
  }
  return Json({{"version", changes_->version()},
               {"total", trials.size()},
               {"offset", offset},
               {"limit", limit},
               {"trials", rows}});
}

absl::StatusOr<Json> DashboardApi::TrialLogPage(const std::string& sweep_id,
                                                const std::string& trial,
                                                const ApiRequest& request) {
  ASSIGN_OR_RETURN(int64_t number, TrialNumber(trial));
  ASSIGN_OR_RETURN(int64_t attempt, IntParam(request, "attempt", 0, 0, int64_t{1} << 40));
  ASSIGN_OR_RETURN(int64_t tail_bytes,
                   IntParam(request, "tail_bytes", kDefaultLogTail, 0, int64_t{1} << 40));
  ASSIGN_OR_RETURN(TrialLog log, source_->ReadTrialLog(sweep_id, number, attempt, tail_bytes));
  return Json({{"version", changes_->version()},
               {"sweep", sweep_id},
               {"trial", number},
               {"attempt", log.attempt},
               {"attempts", log.attempts},
               {"truncated", log.truncated},
               {"tail_bytes", tail_bytes},
               {"text", log.text}});  // raw bytes; the server replaces what is not UTF-8
}

absl::StatusOr<Json> DashboardApi::TrialPage(const std::string& sweep_id, const std::string& trial,
                                             const ApiRequest& request) {
  ASSIGN_OR_RETURN(int64_t number, TrialNumber(trial));
  ASSIGN_OR_RETURN(int64_t points, IntParam(request, "points", 500, 3, kMaxPoints));
  ASSIGN_OR_RETURN(std::vector<TrialRecord> trials, source_->ListTrials(sweep_id));
  auto found = std::find_if(trials.begin(), trials.end(),
                            [number](const TrialRecord& t) { return t.trial == number; });
  if (found == trials.end()) {
    return absl::NotFoundError(absl::StrCat("sweep ", sweep_id, " has no trial ", number,
                                            " (it has ", trials.size(), ")"));
  }
  ASSIGN_OR_RETURN(std::vector<MetricPoint> history, source_->GetMetrics(sweep_id, number));
  Json curves = Json::object();
  for (const char* metric : kCurveMetrics) {
    Json curve = CurveJson(history, metric, static_cast<size_t>(points));
    if (!curve.empty()) curves[metric] = std::move(curve);
  }
  Json out;
  out["version"] = changes_->version();
  out["sweep"] = sweep_id;
  out["trial"] = TrialJson(*found);
  out["plan"] = ParseOrEmpty(found->plan_json);
  out["final_metrics"] = ParseOrEmpty(found->final_metrics_json);
  out["curves"] = std::move(curves);
  out["planned_lr"] = PlannedLrJson(*found, static_cast<size_t>(points));
  out["points"] = history.size();
  ASSIGN_OR_RETURN(std::vector<TrialEvent> events, source_->ListTrialEvents(sweep_id, number));
  Json timeline = Json::array();
  for (const TrialEvent& event : events) {
    timeline.push_back({{"ms", event.ms},
                        {"attempt", event.attempt},
                        {"kind", event.kind},
                        {"worker", event.worker_id},
                        {"step", event.step},
                        {"detail", event.detail}});
  }
  out["events"] = std::move(timeline);
  return out;
}

absl::StatusOr<Json> DashboardApi::SweepCurves(const std::string& sweep_id,
                                               const ApiRequest& request) {
  ASSIGN_OR_RETURN(std::string metric,
                   ChoiceParam(request, "metric", "train_loss",
                               {"train_loss", "val_loss", "val_accuracy", "test_accuracy", "lr"}));
  ASSIGN_OR_RETURN(int64_t points, IntParam(request, "points", 200, 3, kMaxPoints));
  ASSIGN_OR_RETURN(int64_t limit, IntParam(request, "limit", 200, 1, 100000));
  ASSIGN_OR_RETURN(SweepView sweep, source_->GetSweep(sweep_id));
  ASSIGN_OR_RETURN(std::vector<TrialRecord> trials, source_->ListTrials(sweep_id));
  // Which curves, when not all fit: the running trials, then the best scored, then the others.
  SortTrials(trials, "score", !sweep.record.maximize);
  std::stable_partition(trials.begin(), trials.end(), [](const TrialRecord& t) {
    return t.state == TrialState::kRunning;
  });
  Json curves = Json::array();
  for (const TrialRecord& trial : trials) {
    if (static_cast<int64_t>(curves.size()) >= limit) break;
    ASSIGN_OR_RETURN(std::vector<MetricPoint> history, source_->GetMetrics(sweep_id, trial.trial));
    Json curve = CurveJson(history, metric, static_cast<size_t>(points));
    if (curve.empty()) continue;
    const Json row = TrialJson(trial);
    curves.push_back({{"trial", trial.trial},
                      {"config", trial.config},
                      {"schedule", row["schedule"]},
                      {"state", row["state"]},
                      {"points", std::move(curve)}});
  }
  return Json({{"version", changes_->version()}, {"metric", metric}, {"curves", curves}});
}

std::optional<double> DashboardApi::StepsPerSecond(const WorkerView& worker, absl::Time now) {
  if (worker.state != WorkerState::kTraining) {
    step_samples_.erase(worker.record.id);
    return std::nullopt;
  }
  StepSample& sample = step_samples_[worker.record.id];
  const bool same_trial = sample.sweep_id == worker.sweep_id && sample.trial == worker.trial;
  if (!same_trial || worker.step < sample.step) {
    sample = StepSample{worker.sweep_id, worker.trial, worker.step, now, std::nullopt};
    return std::nullopt;
  }
  const double seconds = absl::ToDoubleSeconds(now - sample.time);
  if (seconds >= 1.0) {
    sample.rate = double(worker.step - sample.step) / seconds;
    sample.step = worker.step;
    sample.time = now;
  }
  return sample.rate;
}

Json DashboardApi::WorkerList() {
  Json workers = Json::array();
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  for (const WorkerView& worker : source_->ListWorkers()) {
    const std::optional<double> rate = StepsPerSecond(worker, now);
    const char* state = worker.state == WorkerState::kTraining  ? "training"
                        : worker.state == WorkerState::kWaiting ? "waiting"
                        : worker.state == WorkerState::kLost    ? "lost"
                                                                : "stopped";
    workers.push_back({{"id", worker.record.id},
                       {"name", worker.record.name},
                       {"device", worker.record.device},
                       {"threads", worker.record.threads},
                       {"state", state},
                       {"sweep", worker.sweep_id},
                       {"trial", worker.trial >= 0 ? Json(worker.trial) : Json(nullptr)},
                       {"step", worker.trial >= 0 ? Json(worker.step) : Json(nullptr)},
                       {"total_steps", worker.trial >= 0 ? Json(worker.total_steps) : Json(nullptr)},
                       {"steps_per_second", rate ? Json(*rate) : Json(nullptr)},
                       {"registered_ms", worker.record.registered_ms},
                       {"last_heartbeat_ms", worker.record.last_heartbeat_ms}});
  }
  return Json({{"version", changes_->version()}, {"workers", workers}});
}

absl::StatusOr<Json> DashboardApi::Changes(const ApiRequest& request) {
  ASSIGN_OR_RETURN(int64_t since, IntParam(request, "since", 0, 0, int64_t{1} << 62));
  const int64_t longest = absl::ToInt64Milliseconds(options_.longest_change_wait);
  ASSIGN_OR_RETURN(int64_t wait_ms, IntParam(request, "wait_ms", longest, 0, longest));
  return Json({{"version", changes_->WaitNewer(since, absl::Milliseconds(wait_ms))}});
}

}  // namespace lrsweep
