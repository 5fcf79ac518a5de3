#include "cli/remote_commands.h"


#include <atomic>

#include <algorithm>
#include <fstream>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "cli/submission.h"
#include "common/status_macros.h"
#include "common/yaml_reader.h"
#include "rpc/rpc_convert.h"
#include "common/fmt_absl.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "report/statistics.h"
#include "sweep/range_test_plan.h"

namespace lrsweep {
namespace {

SweepView ToView(const v1::SweepSummary& summary) {
  SweepView view;
  view.record.id = summary.sweep_id();
  view.record.name = summary.name();
  view.record.state = static_cast<SweepState>(summary.state());
  view.record.created_ms = summary.created_unix_ms();
  view.record.metric_name = summary.metric_name();
  view.record.maximize = summary.maximize();
  view.record.metric_summary = summary.metric_summary();
  view.record.metric_last_k = summary.metric_last_k();
  view.record.note = summary.note();
  view.record.tags.assign(summary.tags().begin(), summary.tags().end());
  view.record.archived_ms = summary.archived_unix_ms();
  view.total_trials = summary.total_trials();
  for (const v1::StateCount& count : summary.counts()) view.counts[FromProto(count.state())] = count.count();
  return view;
}

std::string Counts(const v1::SweepSummary& sweep) {
  std::vector<std::string> parts;
  for (const v1::StateCount& count : sweep.counts()) {
    parts.push_back(fmt::format("{} {}", TrialStateName(FromProto(count.state())), count.count()));
  }
  return absl::StrJoin(parts, ", ");
}


int64_t CountOf(const v1::SweepSummary& sweep, TrialState state) {
  for (const v1::StateCount& count : sweep.counts()) {
    if (FromProto(count.state()) == state) return count.count();
  }
  return 0;
}

std::string Optional(bool has, double value) { return has ? fmt::format("{}", value) : ""; }

std::string ProgressBar(int64_t step, int64_t total, int width) {
  const int filled = total > 0 ? static_cast<int>(width * std::min<int64_t>(step, total) / total) : 0;
  return std::string(static_cast<size_t>(filled), '#') +
         std::string(static_cast<size_t>(width - filled), '-');
}

std::string RunningLine(const v1::TrialInfo& trial, const std::string& metric) {
  return fmt::format("  trial {:>4} [{}] {:>3}% step {}/{} lr {:.4g}{}", trial.trial(),
                     ProgressBar(trial.step() + 1, trial.total_steps(), 24),
                     trial.total_steps() > 0 ? 100 * (trial.step() + 1) / trial.total_steps() : 0,
                     trial.step() + 1, trial.total_steps(), trial.lr(),
                     trial.has_latest_metric()
                         ? fmt::format(" {} {:.4f}", metric, trial.latest_metric())
                         : "");
}

std::string FinishedLine(const v1::TrialInfo& trial, const std::string& metric) {
  std::string line = fmt::format("  trial {:>4} {}", trial.trial(),
                                 TrialStateName(FromProto(trial.state())));
  if (trial.attempts() > 1) {
    line += fmt::format(" (attempt {}, {} preemptions)", trial.attempts(), trial.preemptions());
  }
  const bool range_test = RangeTestTrialFromPlan(trial.plan_json()).has_value();
  if (range_test) {
    // A diverging loss is how a range test ends: not a failure of the sweep.
    line += " (LR range test: its curve is complete)";
  } else if (trial.has_score()) {
    line += fmt::format(" {} {:.4f}", metric, trial.score());
  }
  if (!trial.reason().empty()) line += ": " + trial.reason();
  return line;
}

}  // namespace

int64_t FinishedCount(const v1::SweepSummary& sweep) {
  int64_t finished = 0;
  for (const v1::StateCount& count : sweep.counts()) {
    if (IsFinal(FromProto(count.state()))) finished += count.count();
  }
  return finished;
}

absl::StatusOr<std::string> RunSubmit(CoordinatorClient& client, const std::string& file,
                                      const std::string& into_sweep_id, std::ostream& out,
                                      std::ostream& err) {
  ASSIGN_OR_RETURN(Submission submission, ReadSubmission(file));
  submission.into_sweep_id = into_sweep_id;
  return RunSubmit(client, submission, out, err);
}

absl::StatusOr<std::string> RunSubmit(CoordinatorClient& client, const Submission& submission,
                                      std::ostream& out, std::ostream& err) {
  ASSIGN_OR_RETURN(v1::SubmitSweepResponse response, Submit(client, submission, err));
  for (const std::string& warning : response.warnings()) err << warning << "\n";
  if (!submission.into_sweep_id.empty()) {
    if (response.total_trials() == 0) {
      err << fmt::format("{} already has every trial of {}; nothing added\n",
                         response.sweep_id(), submission.file);
    } else {
      err << fmt::format("added {} new trials of {} to {} (lrsweep watch {})\n",
                         response.total_trials(), submission.file, response.sweep_id(),
                         response.sweep_id());
    }
  } else {
    err << fmt::format("submitted {} trials to {}\n", response.total_trials(), client.address());
  }
  out << response.sweep_id() << "\n";
  return response.sweep_id();
}

namespace {

// Live workers first (training, then waiting), then lost ones; workers lost for over a day (a
// preemptible fleet leaves many) are only counted.
void PrintWorkers(const google::protobuf::RepeatedPtrField<v1::WorkerInfo>& all, int64_t now_ms,
                  std::ostream& out) {
  constexpr int64_t kDayMs = 24 * 3600 * 1000;
  std::vector<const v1::WorkerInfo*> shown;
  int64_t forgotten = 0;
  for (const v1::WorkerInfo& worker : all) {
    if (worker.state() == v1::WORKER_LOST && now_ms - worker.last_heartbeat_unix_ms() > kDayMs) {
      ++forgotten;
    } else {
      shown.push_back(&worker);
    }
  }
  std::stable_sort(shown.begin(), shown.end(), [](const v1::WorkerInfo* a, const v1::WorkerInfo* b) {
    return a->state() < b->state();
  });
  out << fmt::format("\n{:<12} {:<16} {:<8} {:>7} {:<9} {:>15}  {}\n", "WORKER", "NAME", "DEVICE",
                     "THREADS", "STATE", "LAST HEARTBEAT", "TRIAL");
  for (const v1::WorkerInfo* worker : shown) {
    const char* state = worker->state() == v1::WORKER_TRAINING  ? "training"
                        : worker->state() == v1::WORKER_WAITING ? "waiting"
                        : worker->state() == v1::WORKER_STOPPED ? "stopped"
                                                                : "lost";
    out << fmt::format("{:<12} {:<16} {:<8} {:>7} {:<9} {:>14.1f}s  {}\n", worker->worker_id(),
                       worker->name(), worker->device(), worker->threads(), state,
                       static_cast<double>(now_ms - worker->last_heartbeat_unix_ms()) / 1000.0,
                       worker->current_trial() >= 0
                           ? fmt::format("{} of {}", worker->current_trial(),
                                         worker->current_sweep_id())
                           : "-");
  }
  if (forgotten > 0) out << fmt::format("(and {} workers not heard from for over a day)\n", forgotten);
}

}  // namespace

namespace {

// The sweeps `filter` matches, one line each, and how many it hid.
void PrintSweeps(const v1::ListSweepsResponse& list, const SweepFilter& filter, std::ostream& out) {
  out << fmt::format("{:<36} {:<10} {:>7} {:>9}  {:<30} {}\n", "SWEEP", "STATE", "TRIALS",
                     "FINISHED", "COUNTS", "TAGS");
  int64_t hidden = 0, hidden_archived = 0;
  for (const v1::SweepSummary& sweep : list.sweeps()) {
    if (!filter.Matches(ToView(sweep))) {
      ++hidden;
      if (sweep.archived_unix_ms() > 0 && !filter.include_archived) ++hidden_archived;
      continue;
    }
    out << fmt::format("{:<36} {:<10} {:>7} {:>9}  {:<30} {}{}\n", sweep.sweep_id(),
                       SweepStateName(static_cast<SweepState>(sweep.state())),
                       sweep.total_trials(), FinishedCount(sweep), Counts(sweep),
                       absl::StrJoin(sweep.tags(), ","),
                       sweep.archived_unix_ms() > 0 ? " (archived)" : "");
  }
  if (hidden > 0) {
    out << fmt::format("({} more sweeps not shown{})\n", hidden,
                       hidden_archived > 0
                           ? fmt::format(", {} of them archived: --archived shows them",
                                         hidden_archived)
                           : "");
  }
}

}  // namespace

absl::Status RunStatus(CoordinatorClient& client, const std::string& sweep_id,
                       const SweepFilter& filter, std::ostream& out) {
  if (sweep_id.empty()) {
    ASSIGN_OR_RETURN(v1::ListSweepsResponse list, client.ListSweeps());
    PrintSweeps(list, filter, out);
    PrintWorkers(list.workers(), absl::ToUnixMillis(absl::Now()), out);
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(v1::SweepSummary sweep, client.GetSweep(sweep_id));
  ASSIGN_OR_RETURN(std::vector<v1::TrialInfo> trials, client.ListTrials(sweep_id));
  out << fmt::format("{} ({}): {}{}, {} trials: {}\n", sweep.sweep_id(), sweep.name(),
                     SweepStateName(static_cast<SweepState>(sweep.state())),
                     sweep.archived_unix_ms() > 0 ? " (archived)" : "", sweep.total_trials(),
                     Counts(sweep));
  if (sweep.tags_size() > 0) out << "tags: " << absl::StrJoin(sweep.tags(), ", ") << "\n";
  if (!sweep.note().empty()) out << "note: " << sweep.note() << "\n";
  out << fmt::format("{:>5} {:<10} {:>8} {:>8} {:>13} {:>10} {:>10} {:>10}  {}\n", "TRIAL", "STATE",
                     "ATTEMPTS", "PREEMPTS", "STEP", "CHECKPOINT", "LR",
                     sweep.metric_name().substr(0, 10), "PARAMS / REASON");
  for (const v1::TrialInfo& trial : trials) {
    out << fmt::format("{:>5} {:<10} {:>8} {:>8} {:>13} {:>10} {:>10.4g} {:>10}  {}\n",
                       trial.trial(), TrialStateName(FromProto(trial.state())), trial.attempts(),
                       trial.preemptions(), fmt::format("{}/{}", trial.step(), trial.total_steps()),
                       trial.checkpoint_step() > 0 ? std::to_string(trial.checkpoint_step()) : "-",
                       trial.lr(),
                       trial.has_score() ? fmt::format("{:.4f}", trial.score()) : "-",
                       !trial.reason().empty()             ? trial.reason()
                       : !trial.checkpoint_error().empty() ? trial.checkpoint_error()
                                                           : trial.params_json());
  }
  return absl::OkStatus();
}

absl::Status RunCancel(CoordinatorClient& client, const std::string& sweep_id, std::ostream& out) {
  ASSIGN_OR_RETURN(int64_t cancelled, client.Cancel(sweep_id));
  out << fmt::format("cancelled {} trials of {}\n", cancelled, sweep_id);
  return absl::OkStatus();
}

absl::Status RunRetry(CoordinatorClient& client, const std::string& sweep_id, bool cancelled,
                      std::ostream& out) {
  ASSIGN_OR_RETURN(int64_t retried, client.Retry(sweep_id, cancelled));
  if (retried == 0) {
    out << fmt::format("{} has no {} trial to retry\n", sweep_id,
                       cancelled ? "FAILED or CANCELLED" : "FAILED");
  } else {
    out << fmt::format(
        "{} trials of {} run again, each from its newest checkpoint (lrsweep watch {})\n",
        retried, sweep_id, sweep_id);
  }
  return absl::OkStatus();
}

namespace {

// Draws each SweepEvent of a watch: the trials that finished since the last one, the progress
// line and (in a terminal) the running trials, redrawn in place.
class WatchDisplay {
 public:
  WatchDisplay(bool interactive, std::ostream& out) : interactive_(interactive), out_(out) {}

  void Show(const v1::SweepEvent& event) {
    last = event.sweep();
    const std::string& metric = last.metric_name();
    const std::string header =
        fmt::format("{}: {}/{} finished ({}), {} running", last.name(), FinishedCount(last),
                    last.total_trials(), Counts(last), event.running_size());
    if (interactive_) {
      if (drawn_lines_ > 0) out_ << "\033[" << drawn_lines_ << "F\033[J";
      for (const v1::TrialInfo& trial : event.finished()) out_ << FinishedLine(trial, metric) << "\n";
      out_ << header << "\n";
      for (const v1::TrialInfo& trial : event.running()) out_ << RunningLine(trial, metric) << "\n";
      drawn_lines_ = 1 + event.running_size();
    } else {
      for (const v1::TrialInfo& trial : event.finished()) out_ << FinishedLine(trial, metric) << "\n";
      if (header != last_plain_) out_ << header << "\n";
      last_plain_ = header;
    }
    out_.flush();
  }

  // Says so, once a line that will not be redrawn over.
  void Reconnecting(const std::string& address, const absl::Status& why) {
    out_ << "lost the coordinator at " << address << " (" << why.message()
         << "); reconnecting...\n";
    out_.flush();
    drawn_lines_ = 0;
  }

  v1::SweepSummary last;
  bool ended() const {
    return last.state() == v1::SWEEP_FINISHED || last.state() == v1::SWEEP_CANCELLED;
  }

 private:
  const bool interactive_;
  std::ostream& out_;
  int drawn_lines_ = 0;
  std::string last_plain_;
};

constexpr absl::Duration kMaxWatchBackoff = absl::Seconds(5);

}  // namespace

absl::Status RunWatch(CoordinatorClient& client, const std::string& sweep_id, bool interactive,
                      std::ostream& out, const std::atomic<bool>* stop) {
  WatchDisplay display(interactive, out);
  bool connected = false;
  absl::Duration backoff = absl::Milliseconds(100);
  while (true) {
    const absl::Status watched = client.Watch(sweep_id, [&](const v1::SweepEvent& event) {
      connected = true;
      backoff = absl::Milliseconds(100);
      display.Show(event);
      return true;
    });
    if (display.ended()) break;
    // Once the coordinator answered, losing it is a restart to wait out, not an error.
    if (!connected || !(watched.ok() || absl::IsUnavailable(watched))) return watched;
    if (stop != nullptr && stop->load()) return absl::CancelledError("stopped watching");
    if (backoff == absl::Milliseconds(100)) display.Reconnecting(client.address(), watched);
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, kMaxWatchBackoff);
  }
  const int64_t failed = CountOf(display.last, TrialState::kFailed);
  if (failed > 0) {
    return absl::AbortedError(absl::StrCat(failed, " trials failed; `lrsweep status ", sweep_id,
                                           "` shows why"));
  }
  if (display.last.state() == v1::SWEEP_CANCELLED) {
    return absl::AbortedError("the sweep was cancelled");
  }
  return absl::OkStatus();
}

absl::StatusOr<SweepReport> FetchReport(CoordinatorClient& client, const std::string& sweep_id,
                                        const ReportOptions& options) {
  ASSIGN_OR_RETURN(v1::SweepSummary sweep, client.GetSweep(sweep_id));
  ASSIGN_OR_RETURN(std::vector<v1::TrialInfo> trials, client.ListTrials(sweep_id));
  std::vector<TrialRecord> records;
  std::map<int64_t, std::vector<MetricPoint>> histories;
  for (const v1::TrialInfo& trial : trials) {
    records.push_back(FromProto(trial));
    if (!IsFinal(FromProto(trial.state()))) continue;
    ASSIGN_OR_RETURN(std::vector<v1::MetricPoint> points,
                     client.GetMetrics(sweep_id, trial.trial()));
    std::vector<MetricPoint>& history = histories[trial.trial()];
    for (const v1::MetricPoint& point : points) history.push_back(FromProto(point));
  }
  return BuildReport(ToView(sweep), records, std::move(histories), options);
}

namespace {
absl::StatusOr<std::string> Render(const SweepReport& report, const std::string& format) {
  if (format == "md") return RenderMarkdown(report);
  if (format == "json") return RenderJson(report).dump(1) + "\n";
  if (format == "csv") return RenderCsv(report);
  if (format == "html") return RenderHtml(report);
  return absl::InvalidArgumentError(
      absl::StrCat("--format: unknown format '", format, "'; use md, html, json or csv"));
}
}  // namespace

absl::Status WriteReport(const SweepReport& report, const std::string& format,
                         const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, Render(report, format));
  std::ofstream file(path);
  file << text;
  if (!file) return absl::InternalError(absl::StrCat(path, ": cannot write the report"));
  return absl::OkStatus();
}

absl::Status RunReport(CoordinatorClient& client, const std::string& sweep_id,
                       const std::string& format, const std::string& output,
                       const ReportOptions& options, std::ostream& out) {
  if (format != "md" && format != "json" && format != "csv" && format != "html") {
    return Render({}, format).status();
  }
  ASSIGN_OR_RETURN(SweepReport report, FetchReport(client, sweep_id, options));
  if (!output.empty()) return WriteReport(report, format, output);
  ASSIGN_OR_RETURN(std::string text, Render(report, format));
  out << text;
  return absl::OkStatus();
}

absl::Status RunCompare(CoordinatorClient& client, const std::string& sweep_a,
                        const std::string& sweep_b, std::ostream& out) {
  ASSIGN_OR_RETURN(SweepReport a, FetchReport(client, sweep_a, {}));
  ASSIGN_OR_RETURN(SweepReport b, FetchReport(client, sweep_b, {}));
  const SweepRecord& ra = a.sweep.record;
  const SweepRecord& rb = b.sweep.record;
  if (ra.metric_name != rb.metric_name || ra.maximize != rb.maximize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the sweeps rank by different metrics (", ra.metric_name, " vs ", rb.metric_name,
        "); compare sweeps with the same metric"));
  }
  if (a.ranking.empty() || !a.ranking[0].scored() || b.ranking.empty() || !b.ranking[0].scored()) {
    return absl::FailedPreconditionError("both sweeps need at least one completed, scored trial");
  }
  const ConfigRank& best_a = a.ranking[0];
  const ConfigRank& best_b = b.ranking[0];
  auto line = [&](const SweepRecord& sweep, const ConfigRank& best) {
    return fmt::format("| {} | {} | {:.4f} | {} | {} | {} |\n", sweep.id, best.schedule_type,
                       best.stats.mean,
                       best.stats.ci95_low
                           ? fmt::format("[{:.4f}, {:.4f}]", *best.stats.ci95_low, *best.stats.ci95_high)
                           : "-",
                       best.stats.n, best.params.dump());
  };
  out << fmt::format("Best configuration of each sweep by {} ({}):\n\n", ra.metric_name,
                     ra.maximize ? "higher is better" : "lower is better");
  out << "| sweep | schedule | mean | 95% CI | n | parameters |\n|---|---|---:|---|---:|---|\n";
  out << line(ra, best_a) << line(rb, best_b);
  const double delta = best_b.stats.mean - best_a.stats.mean;
  const bool better = ra.maximize ? delta > 0 : delta < 0;
  const std::optional<double> p = WelchTwoSidedP(best_a.scores, best_b.scores);
  out << fmt::format("\n{} is {} by {:+.4f}", sweep_b, better ? "better" : "not better",
                     delta);
  if (p) {
    out << fmt::format(" (Welch's t-test p = {:.3g}: {})\n", *p,
                       *p < 0.05 ? "significant" : "not significant; more seeds would tell");
  } else {
    out << " (run 2+ seeds per configuration for a significance test)\n";
  }
  return absl::OkStatus();
}

absl::Status RunLogs(CoordinatorClient& client, const std::string& sweep_id, int64_t trial,
                     int64_t attempt, int64_t tail_lines, std::ostream& out, std::ostream& err) {
  ASSIGN_OR_RETURN(v1::GetTrialLogResponse log, client.GetTrialLog(sweep_id, trial, attempt, 0));
  std::string_view text = log.text();
  if (tail_lines > 0) {
    // The start of the last `tail_lines` lines (a final newline ends the last line).
    size_t end = text.size() > 0 && text.back() == '\n' ? text.size() - 1 : text.size();
    for (int64_t lines = 0; lines < tail_lines && end != std::string_view::npos; ++lines) {
      end = end == 0 ? std::string_view::npos : text.rfind('\n', end - 1);
    }
    if (end != std::string_view::npos) text.remove_prefix(end + 1);
  }
  err << "trial " << trial << " of " << sweep_id << ", attempt " << log.attempt() << " (attempts "
      << absl::StrJoin(log.attempts(), ", ") << ")" << (log.truncated() ? ", truncated" : "")
      << "\n";
  out << text;
  return absl::OkStatus();
}

absl::Status RunMetrics(CoordinatorClient& client, const std::string& sweep_id, int64_t trial,
                        const std::string& format, std::ostream& out) {
  if (format != "csv" && format != "json") {
    return absl::InvalidArgumentError(
        absl::StrCat("--format: unknown format '", format, "'; use csv or json"));
  }
  ASSIGN_OR_RETURN(std::vector<v1::MetricPoint> points, client.GetMetrics(sweep_id, trial));
  if (format == "csv") {
    out << "step,epoch,lr,momentum,train_loss,val_loss,val_accuracy,test_accuracy,"
           "examples_per_second,wall_seconds\n";
    for (const v1::MetricPoint& p : points) {
      out << fmt::format("{},{},{},{},{},{},{},{},{},{}\n", p.step(), p.epoch(), p.lr(),
                         Optional(p.has_momentum(), p.momentum()),
                         Optional(p.has_train_loss(), p.train_loss()),
                         Optional(p.has_val_loss(), p.val_loss()),
                         Optional(p.has_val_accuracy(), p.val_accuracy()),
                         Optional(p.has_test_accuracy(), p.test_accuracy()),
                         p.examples_per_second(), p.wall_seconds());
    }
    return absl::OkStatus();
  }
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const v1::MetricPoint& p : points) {
    nlohmann::ordered_json row = {{"step", p.step()}, {"epoch", p.epoch()}, {"lr", p.lr()}};
    if (p.has_momentum()) row["momentum"] = p.momentum();
    if (p.has_train_loss()) row["train_loss"] = p.train_loss();
    if (p.has_val_loss()) row["val_loss"] = p.val_loss();
    if (p.has_val_accuracy()) row["val_accuracy"] = p.val_accuracy();
    if (p.has_test_accuracy()) row["test_accuracy"] = p.test_accuracy();
    row["examples_per_second"] = p.examples_per_second();
    row["wall_seconds"] = p.wall_seconds();
    rows.push_back(std::move(row));
  }
  out << rows.dump(1) << "\n";
  return absl::OkStatus();
}

}  // namespace lrsweep
