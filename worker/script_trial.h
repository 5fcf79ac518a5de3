// ScriptTrial: one attempt of a command trial — the user's own training program, run by the
// worker in place of the built-in Trainer, reporting to the same TrainingObserver.
//
// The worker writes the trial's JSON (LRSWEEP_TRIAL: the plan plus the attempt, checkpoint_dir
// and resume_from), starts the program (script_process.h) with the Python client on its
// PYTHONPATH, and reads its stdout for `lrsweep {...}` lines:
//   lrsweep {"step": 10, "train_loss": 0.42, "lr": 0.1}    a metric point (lr defaults to the plan)
//   lrsweep {"checkpoint": "/abs/dir", "step": 500}          a finished checkpoint folder
// Every line of stdout and stderr goes to the attempt's log. The worker applies the DIVERGED
// rule to reported training losses, forwards SIGTERM on preemption (the program checkpoints and
// exits 0), SIGTERMs and 5 s later kills the process group when the trial is cancelled or its
// lease lost, and fails an attempt that exits non-zero (the last stderr line is the reason) or
// reports nothing for train.report_timeout_minutes.
//
//   ScriptTrial trial(config, plan_json, lease, options);
//   RETURN_IF_ERROR(trial.Restore(checkpoint_bytes));      // optional: resume
//   absl::StatusOr<TrainOutcome> outcome = trial.Run(&session);
//   // OK: completed or diverged; ABORTED: preempted; CANCELLED: stopped; else: failed
//
// Thread safety: not thread-safe; the observer is called on the thread that calls Run().
#ifndef LRSWEEP_WORKER_SCRIPT_TRIAL_H_
#define LRSWEEP_WORKER_SCRIPT_TRIAL_H_

#include <deque>
#include <functional>
#include <optional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "schedule/schedule.h"
#include "sweep/lease.h"
#include "worker/script_process.h"
#include "worker/trainer.h"
#include "worker/trial_config.h"

namespace lrsweep {

struct ScriptTrialOptions {
  // This attempt's own folder (trial.json, checkpoints/, resume/); created, and emptied first.
  std::string attempt_dir;
  // The folder holding the Python client package `lrsweep` (prepended to PYTHONPATH).
  std::string python_dir;
  double divergence_factor = 4.0;
  // Receives every line the program prints (stderr lines prefixed "stderr: ") and the worker's
  // own notes about the attempt ("lrsweep-worker: ..."): the attempt's log.
  std::function<void(const std::string&)> log;
};

class ScriptTrial {
 public:
  ScriptTrial(TrialConfig config, std::string plan_json, LeaseRef lease,
              ScriptTrialOptions options);

  // Unpacks a checkpoint of this trial for the program to resume from. DATA_LOSS for a damaged
  // one, FAILED_PRECONDITION for one of another trial.
  absl::Status Restore(const std::string& bytes);
  // The step the attempt starts from (that of the restored checkpoint, else 0).
  int64_t step() const { return resume_step_; }

  absl::StatusOr<TrainOutcome> Run(TrainingObserver* observer);

 private:
  // How the attempt is ending, decided while the program runs.
  enum class Ending { kRunning, kStopped, kPreempting, kDiverged, kTimedOut, kBadReport };

  absl::Status WriteTrialFile(const std::string& path) const;
  void Log(const std::string& line) const;
  // Training time: earlier attempts' (from the checkpoint) plus this attempt's so far.
  double WallSeconds() const;
  void HandleLine(const ScriptProcess::Line& line, TrainingObserver* observer);
  void HandleReport(const nlohmann::json& message, TrainingObserver* observer);
  void HandleCheckpoint(const nlohmann::json& message, TrainingObserver* observer);
  absl::StatusOr<MetricPoint> ToPoint(const nlohmann::json& message);
  void CheckDivergence(const MetricPoint& point);
  // Polls the observer and the clocks; signals the process group as the ending requires.
  void Supervise(TrainingObserver* observer, ScriptProcess& process);
  absl::StatusOr<TrainOutcome> Outcome(int exit_code) const;
  void End(Ending ending, std::string reason);

  TrialConfig config_;
  std::string plan_json_;
  LeaseRef lease_;
  ScriptTrialOptions options_;
  std::optional<Schedule> schedule_;  // the plan's LR, for reports that give none
  std::string resume_from_;           // "" : fresh
  int64_t resume_step_ = 0;
  double wall_offset_ = 0;  // training time of earlier attempts (from the checkpoint)

  // --- State of the running attempt ---
  Ending ending_ = Ending::kRunning;
  std::string ending_reason_;
  absl::Time started_ = absl::Now();
  absl::Time last_report_ = absl::Now();
  absl::Time term_sent_ = absl::InfiniteFuture();
  std::optional<double> first_loss_;  // restored from the checkpoint on a resume
  TrainOutcome outcome_;
  bool reported_ = false;
  std::deque<std::string> stderr_tail_;
  std::set<std::string> unknown_keys_;  // already warned about
};

}  // namespace lrsweep

#endif  // LRSWEEP_WORKER_SCRIPT_TRIAL_H_
