#include "worker/script_trial.h"

#include <signal.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/atomic_file.h"
#include "common/status_macros.h"
#include "fmt/format.h"
#include "worker/checkpoint_folder.h"

namespace lrsweep {
namespace {

namespace fs = std::filesystem;

constexpr char kReportPrefix[] = "lrsweep ";
constexpr size_t kStderrTail = 20;
constexpr absl::Duration kPollInterval = absl::Milliseconds(100);
// After the program's main process exits, what it started gets this long to close its output.
constexpr absl::Duration kExitGrace = absl::Seconds(5);
// A stopped (cancelled) trial's program gets this long after SIGTERM before SIGKILL.
constexpr absl::Duration kStopGrace = absl::Seconds(5);

// The metric keys a report may carry, besides step.
const std::set<std::string>& KnownReportKeys() {
  static const auto* keys = new std::set<std::string>{
      "step", "epoch", "lr", "momentum", "train_loss", "val_loss", "val_accuracy",
      "test_accuracy", "examples_per_second", "wall_seconds"};
  return *keys;
}

std::optional<double> OptionalNumber(const nlohmann::json& message, const char* key) {
  auto found = message.find(key);
  if (found == message.end() || found->is_null()) return std::nullopt;
  if (found->is_string()) {  // json cannot hold NaN/Inf; the client writes them as strings
    const std::string text = found->get<std::string>();
    if (text == "nan" || text == "NaN") return std::nan("");
    if (text == "inf" || text == "Infinity") return INFINITY;
    if (text == "-inf" || text == "-Infinity") return -INFINITY;
    throw std::invalid_argument(absl::StrCat(key, " must be a number"));
  }
  return found->get<double>();
}

}  // namespace

ScriptTrial::ScriptTrial(TrialConfig config, std::string plan_json, LeaseRef lease,
                         ScriptTrialOptions options)
    : config_(std::move(config)),
      plan_json_(std::move(plan_json)),
      lease_(std::move(lease)),
      options_(std::move(options)) {
  absl::StatusOr<Schedule> schedule = Schedule::Create(config_.schedule, config_.horizon());
  if (schedule.ok()) schedule_.emplace(*std::move(schedule));
  std::error_code ignored;
  fs::remove_all(options_.attempt_dir, ignored);
  fs::create_directories(fs::path(options_.attempt_dir) / "checkpoints", ignored);
}

double ScriptTrial::WallSeconds() const {
  return wall_offset_ + absl::ToDoubleSeconds(absl::Now() - started_);
}

void ScriptTrial::Log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

absl::Status ScriptTrial::Restore(const std::string& bytes) {
  const std::string folder = (fs::path(options_.attempt_dir) / "resume").string();
  ASSIGN_OR_RETURN(CheckpointIdentity identity,
                   UnpackCheckpointFolder(bytes, {lease_.sweep_id, lease_.trial}, folder));
  if (identity.step < 0 || identity.step > config_.total_steps) {
    return absl::FailedPreconditionError(absl::StrCat(
        "checkpoint at step ", identity.step, " is outside the trial's ", config_.total_steps,
        " steps"));
  }
  resume_from_ = folder;
  resume_step_ = identity.step;
  first_loss_ = identity.first_train_loss;
  wall_offset_ = identity.wall_seconds;
  return absl::OkStatus();
}

absl::Status ScriptTrial::WriteTrialFile(const std::string& path) const {
  nlohmann::ordered_json trial;
  try {
    trial = nlohmann::ordered_json::parse(plan_json_);
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("trial plan: ", e.what()));
  }
  trial["sweep"] = lease_.sweep_id;
  trial["attempt"] = lease_.fencing_token;
  trial["checkpoint_dir"] = (fs::path(options_.attempt_dir) / "checkpoints").string();
  trial["resume_from"] =
      resume_from_.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(resume_from_);
  trial["resume_step"] = resume_step_;
  return WriteFileAtomically(path, trial.dump(2));
}

void ScriptTrial::End(Ending ending, std::string reason) {
  if (ending_ != Ending::kRunning && ending_ != Ending::kPreempting) return;
  ending_ = ending;
  ending_reason_ = std::move(reason);
  Log(absl::StrCat("lrsweep-worker: ", ending_reason_));
}

absl::StatusOr<MetricPoint> ScriptTrial::ToPoint(const nlohmann::json& message) {
  MetricPoint point;
  point.step = message.at("step").get<int64_t>();
  if (point.step < 1 || point.step > config_.total_steps) {
    return absl::InvalidArgumentError(absl::StrCat(
        "reported step ", point.step, ", outside the trial's steps 1..", config_.total_steps,
        " (a step counts optimizer steps done, so the first report is step 1)"));
  }
  point.epoch = message.value("epoch", int64_t{0});
  const std::optional<double> lr = OptionalNumber(message, "lr");
  point.lr = lr ? *lr : (schedule_ ? schedule_->PlannedLrAt(point.step - 1) : 0.0);
  point.momentum = OptionalNumber(message, "momentum");
  point.train_loss = OptionalNumber(message, "train_loss");
  point.val_loss = OptionalNumber(message, "val_loss");
  point.val_accuracy = OptionalNumber(message, "val_accuracy");
  point.test_accuracy = OptionalNumber(message, "test_accuracy");
  point.examples_per_second = OptionalNumber(message, "examples_per_second").value_or(0.0);
  const std::optional<double> wall = OptionalNumber(message, "wall_seconds");
  point.wall_seconds = wall ? *wall : WallSeconds();
  for (const auto& [key, value] : message.items()) {
    if (KnownReportKeys().count(key) == 0 && unknown_keys_.insert(key).second) {
      Log(absl::StrCat("lrsweep-worker: metric '", key, "' is not one lrsweep records (train_loss, "
                       "val_loss, val_accuracy, test_accuracy, lr, momentum, epoch, "
                       "examples_per_second, wall_seconds); ignored"));
    }
  }
  return point;
}

void ScriptTrial::CheckDivergence(const MetricPoint& point) {
  if (!point.train_loss) return;
  const double loss = *point.train_loss;
  if (!first_loss_ && std::isfinite(loss)) first_loss_ = loss;
  if (!std::isfinite(loss)) {
    End(Ending::kDiverged,
        fmt::format("diverged at step {} (lr {:.4g}): loss is {}", point.step, point.lr, loss));
  } else if (loss > options_.divergence_factor * *first_loss_) {
    End(Ending::kDiverged,
        fmt::format("diverged at step {} (lr {:.4g}): loss {:.4g} exceeded {:g}x its first "
                    "value {:.4g}",
                    point.step, point.lr, loss, options_.divergence_factor, *first_loss_));
  }
}

void ScriptTrial::HandleReport(const nlohmann::json& message, TrainingObserver* observer) {
  absl::StatusOr<MetricPoint> point = ToPoint(message);
  if (!point.ok()) {
    End(Ending::kBadReport, std::string(point.status().message()));
    return;
  }
  reported_ = true;
  observer->OnPoint(*point);
  if (point->step == outcome_.last.step) {  // several reports of one step: the final point has all
    MetricPoint& last = outcome_.last;
    for (auto [mine, theirs] : {std::pair{&last.train_loss, &point->train_loss},
                                {&last.val_loss, &point->val_loss},
                                {&last.val_accuracy, &point->val_accuracy},
                                {&last.test_accuracy, &point->test_accuracy}}) {
      if (*theirs) *mine = *theirs;
    }
  } else {
    outcome_.last = *point;
  }
  CheckDivergence(*point);
  if (ending_ == Ending::kDiverged) {
    outcome_.diverged = true;
    outcome_.reason = ending_reason_;
  }
}

void ScriptTrial::HandleCheckpoint(const nlohmann::json& message, TrainingObserver* observer) {
  const std::string folder = message.at("checkpoint").get<std::string>();
  const int64_t step = message.at("step").get<int64_t>();
  CheckpointIdentity identity{lease_.sweep_id, lease_.trial, step, lease_.fencing_token,
                              first_loss_,
                              WallSeconds()};
  absl::StatusOr<std::string> bytes = PackCheckpointFolder(folder, identity);
  std::error_code ignored;
  fs::remove_all(folder, ignored);  // stored (or not) now: the program does not read it again
  if (!bytes.ok()) {
    Log(absl::StrCat("lrsweep-worker: checkpoint at step ", step, " not stored: ",
                     bytes.status().message()));
    return;
  }
  observer->OnCheckpoint(step, *std::move(bytes));
}

void ScriptTrial::HandleLine(const ScriptProcess::Line& line, TrainingObserver* observer) {
  if (line.is_stderr) {
    Log("stderr: " + line.text);
    if (!line.text.empty()) stderr_tail_.push_back(line.text);
    if (stderr_tail_.size() > kStderrTail) stderr_tail_.pop_front();
    return;
  }
  Log(line.text);
  if (!absl::StartsWith(line.text, kReportPrefix)) return;
  last_report_ = absl::Now();
  try {
    const nlohmann::json message =
        nlohmann::json::parse(line.text.substr(sizeof(kReportPrefix) - 1));
    if (!message.is_object()) throw std::invalid_argument("not a JSON object");
    if (message.contains("checkpoint")) {
      HandleCheckpoint(message, observer);
    } else if (message.contains("step")) {
      HandleReport(message, observer);
    }
  } catch (const std::exception& e) {  // nlohmann::json::exception, std::invalid_argument
    End(Ending::kBadReport,
        absl::StrCat("bad report line '", line.text.substr(0, 200), "': ", e.what(),
                     "; a report is `lrsweep ` and a JSON object such as {\"step\": 10, "
                     "\"train_loss\": 0.42}"));
  }
}

void ScriptTrial::Supervise(TrainingObserver* observer, ScriptProcess& process) {
  const StopRequest stop = observer->ShouldStop();
  if (stop == StopRequest::kStop && ending_ != Ending::kStopped) {
    // Cancelled, or the lease is gone: the program's should_stop() turns true and it may exit
    // on its own for a moment; its result counts for nothing either way.
    End(Ending::kStopped, "trial stopped (cancelled, or the lease was lost); stopping the program");
    term_sent_ = std::min(term_sent_, absl::Now());
    process.SignalGroup(SIGTERM);
  }
  if (stop == StopRequest::kPreempt && ending_ == Ending::kRunning) {
    ending_ = Ending::kPreempting;
    term_sent_ = absl::Now();
    Log("lrsweep-worker: worker stopping; sent SIGTERM to the program to checkpoint and exit");
    process.SignalGroup(SIGTERM);
  }
  const absl::Duration timeout =
      absl::Seconds(60 * config_.train.command->report_timeout_minutes);
  if (ending_ == Ending::kRunning && absl::Now() - last_report_ > timeout) {
    End(Ending::kTimedOut,
        fmt::format("reported nothing for {:g} minutes (train.report_timeout_minutes); killed",
                    config_.train.command->report_timeout_minutes));
  }
  const absl::Duration grace = ending_ == Ending::kStopped
                                   ? kStopGrace
                                   : absl::Seconds(config_.train.command->stop_grace_seconds);
  const bool grace_over = absl::Now() - term_sent_ > grace;
  const bool kill_now = ending_ == Ending::kDiverged || ending_ == Ending::kTimedOut ||
                        ending_ == Ending::kBadReport;
  if (kill_now || grace_over) process.SignalGroup(SIGKILL);
}

absl::StatusOr<TrainOutcome> ScriptTrial::Run(TrainingObserver* observer) {
  const std::string trial_file = (fs::path(options_.attempt_dir) / "trial.json").string();
  RETURN_IF_ERROR(WriteTrialFile(trial_file));
  std::map<std::string, std::string> env = config_.train.command->env;
  env["LRSWEEP_TRIAL"] = trial_file;
  const char* python_path = std::getenv("PYTHONPATH");
  env["PYTHONPATH"] = python_path != nullptr && *python_path != '\0'
                          ? absl::StrCat(options_.python_dir, ":", python_path)
                          : options_.python_dir;
  started_ = last_report_ = absl::Now();
  ASSIGN_OR_RETURN(std::unique_ptr<ScriptProcess> process,
                   ScriptProcess::Start(config_.train.command->argv,
                                        config_.train.command->workdir, env));
  Log(absl::StrCat("lrsweep-worker: started ", config_.train.command->argv[0], " (pid ",
                   process->pid(), resume_from_.empty() ? ")" : ", resuming from step " +
                   std::to_string(resume_step_) + ")"));
  ScriptProcess::Line line;
  absl::Time main_exited = absl::InfiniteFuture();
  while (true) {
    const ScriptProcess::Event event = process->NextLine(kPollInterval, &line);
    if (event == ScriptProcess::Event::kEnded) break;
    if (event == ScriptProcess::Event::kLine) HandleLine(line, observer);
    Supervise(observer, *process);
    if (main_exited == absl::InfiniteFuture() && process->Exited()) main_exited = absl::Now();
    if (absl::Now() - main_exited > kExitGrace) process->SignalGroup(SIGKILL);
  }
  const int exit_code = process->Wait(absl::Seconds(config_.train.command->stop_grace_seconds));
  Log(absl::StrCat("lrsweep-worker: program exited with ", exit_code > 128
                       ? absl::StrCat("signal ", exit_code - 128) : absl::StrCat("code ", exit_code)));
  return Outcome(exit_code);
}

absl::StatusOr<TrainOutcome> ScriptTrial::Outcome(int exit_code) const {
  switch (ending_) {
    case Ending::kStopped:
      return absl::CancelledError(ending_reason_);
    case Ending::kPreempting:
      return absl::AbortedError("preempted");
    case Ending::kDiverged:
      return outcome_;
    case Ending::kTimedOut:
    case Ending::kBadReport:
      return absl::DeadlineExceededError(ending_reason_);
    case Ending::kRunning:
      break;
  }
  if (exit_code != 0) {
    std::string reason = exit_code > 128 ? absl::StrCat("killed by signal ", exit_code - 128)
                                         : absl::StrCat("exited with code ", exit_code);
    if (!stderr_tail_.empty()) absl::StrAppend(&reason, ": ", stderr_tail_.back());
    absl::StrAppend(&reason, " (`lrsweep logs ", lease_.sweep_id, " ", lease_.trial,
                    "` shows its output)");
    return absl::InternalError(reason);
  }
  if (!reported_ || outcome_.last.step < config_.total_steps) {
    return absl::InternalError(absl::StrCat(
        "exited 0 after step ", reported_ ? outcome_.last.step : resume_step_, " of ",
        config_.total_steps, " without being asked to stop; a trial trains the planned ",
        config_.total_steps, " steps and reports the last one"));
  }
  return outcome_;
}

}  // namespace lrsweep
