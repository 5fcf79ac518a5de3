#include "worker/agent.h"

#include <unistd.h>

#include <iostream>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/status_reason.h"
#include "worker/checkpoint_store.h"
#include "worker/data.h"
#include "worker/lease_session.h"
#include "worker/script_trial.h"
#include "worker/trial_log.h"
#include "worker/trainer.h"
#include "worker/trial_config.h"

namespace lrsweep {
namespace {

constexpr absl::Duration kMaxBackoff = absl::Seconds(5);

}  // namespace

std::string DefaultWorkerStateDir() {
  if (const char* state = std::getenv("XDG_STATE_HOME"); state != nullptr && *state != '\0') {
    return absl::StrCat(state, "/lrsweep/worker");
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return absl::StrCat(home, "/.local/state/lrsweep/worker");
  }
  return absl::StrCat("/tmp/lrsweep-worker-", getuid());
}

WorkerAgent::WorkerAgent(AgentOptions options, std::unique_ptr<CoordinatorLink> link)
    : options_(std::move(options)),
      link_(std::move(link)),
      artifacts_(options_.artifact_dir.empty() ? DefaultWorkerStateDir() + "/artifacts"
                                               : options_.artifact_dir,
                 link_.get()) {
  if (options_.attempt_dir.empty()) options_.attempt_dir = DefaultWorkerStateDir() + "/attempts";
  checkpoints_ =
      NewCheckpointStore(options_.checkpoint_store, link_.get(), options_.checkpoint_dir);
}

void WorkerAgent::Backoff() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const double jitter = 0.5 + std::uniform_real_distribution<double>(0, 1)(rng);
  absl::SleepFor(backoff_ * jitter);
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
}

absl::Status WorkerAgent::Register() {
  while (!stop_.load()) {
    absl::StatusOr<CoordinatorLink::Registration> registered =
        link_->Register(options_.name, options_.device.str(), options_.threads);
    if (registered.ok()) {
      worker_id_ = registered->worker_id;
      heartbeat_interval_ = registered->heartbeat_interval;
      std::cerr << "lrsweep-worker: registered as " << worker_id_ << " with "
                << options_.coordinator << " (" << options_.device.str() << ", "
                << options_.threads << " threads, checkpoints to " << checkpoints_->Describe()
                << ")\n";
      ResetBackoff();
      return absl::OkStatus();
    }
    if (!IsRetryable(registered.status())) return registered.status();
    SayUnreachable(registered.status());
    Backoff();
  }
  return absl::CancelledError("stopped");
}

void WorkerAgent::SayUnreachable(const absl::Status& status) {
  // At once, then every half minute: a worker started before its coordinator, or cut off from
  // it, says why it does nothing without filling its log.
  const absl::Time now = absl::Now();
  if (now - last_unreachable_note_ < absl::Seconds(30)) return;
  last_unreachable_note_ = now;
  std::cerr << "lrsweep-worker: cannot reach the coordinator at " << options_.coordinator << " ("
            << status.message() << "); retrying\n";
}

bool WorkerAgent::IdleTooLong() const {
  if (options_.exit_when_idle <= absl::ZeroDuration()) return false;
  if (absl::Now() - last_work_ < options_.exit_when_idle) return false;
  std::cerr << "lrsweep-worker: no trial for " << absl::FormatDuration(options_.exit_when_idle)
            << "; exiting (--exit-when-idle)\n";
  return true;
}

void WorkerAgent::RequestStop() {
  stop_.store(true);
  poll_.Cancel();
}

absl::Status WorkerAgent::Run() {
  RETURN_IF_ERROR(Register());
  last_work_ = absl::Now();
  while (!stop_.load()) {
    absl::StatusOr<std::optional<LeaseGrant>> grant =
        link_->AcquireLease(worker_id_, options_.sweep_id, options_.lease_wait, &poll_);
    if (stop_.load()) break;
    if (absl::IsNotFound(grant.status())) {
      RETURN_IF_ERROR(Register());  // the coordinator does not know us (a new data dir)
      continue;
    }
    if (!grant.ok()) {
      if (!IsRetryable(grant.status())) return grant.status();
      SayUnreachable(grant.status());
      Backoff();
      continue;
    }
    ResetBackoff();
    if (!grant->has_value()) {
      if (IdleTooLong()) break;
      continue;
    }
    const absl::Status trial = RunTrial(**grant);
    if (!trial.ok()) std::cerr << "lrsweep-worker: " << trial.message() << "\n";
    last_work_ = absl::Now();
  }
  // Goodbye: shown as stopped rather than lost (best effort).
  if (const absl::Status bye = link_->UnregisterWorker(worker_id_); bye.ok()) {
    std::cerr << "lrsweep-worker: unregistered " << worker_id_ << "\n";
  }
  return absl::OkStatus();
}

absl::Status WorkerAgent::Resume(const LeaseGrant& grant, const LeaseRef& lease,
                                 const std::function<absl::Status(const std::string&)>& restore) {
  for (const CheckpointRecord& checkpoint : grant.checkpoints) {
    absl::StatusOr<std::string> bytes = checkpoints_->Load(lease, checkpoint);
    absl::Status restored = bytes.ok() ? restore(*bytes) : bytes.status();
    if (restored.ok()) {
      std::cerr << "lrsweep-worker: resumed trial " << grant.trial
                << " from its checkpoint at step " << checkpoint.step << "\n";
      return absl::OkStatus();
    }
    if (IsLeaseLost(restored)) return restored;
    std::cerr << "lrsweep-worker: checkpoint at step " << checkpoint.step << " of trial "
              << grant.trial << " is unusable (" << restored.message()
              << "); falling back to the previous one\n";
  }
  if (!grant.checkpoints.empty()) {
    std::cerr << "lrsweep-worker: no usable checkpoint for trial " << grant.trial
              << "; starting it from the beginning\n";
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const DataSplits>> WorkerAgent::Prepare(TrialConfig& config) {
  ASSIGN_OR_RETURN(LocalFiles files, artifacts_.FetchAll(UsedArtifacts(config.train)));
  if (config.train.model.type == "torchscript") {
    config.model_file = files.at(config.train.model.file.sha256);
  }
  return LoadData(config.train.data, options_.device, files);
}

absl::StatusOr<TrainOutcome> WorkerAgent::RunBuiltin(const LeaseGrant& grant,
                                                     const LeaseRef& lease, TrialConfig& config,
                                                     LeaseSession& session) {
  ASSIGN_OR_RETURN(std::shared_ptr<const DataSplits> data, Prepare(config));
  Trainer trainer(config, data, TrainerOptions{options_.device});
  trainer.set_fencing_token(lease.fencing_token);
  RETURN_IF_ERROR(trainer.Init());
  RETURN_IF_ERROR(Resume(grant, lease, [&trainer](const std::string& bytes) {
    return trainer.Restore(bytes);
  }));
  session.StartedAt(trainer.step());
  return trainer.Train(&session);
}

absl::StatusOr<TrainOutcome> WorkerAgent::RunScript(const LeaseGrant& grant,
                                                    const LeaseRef& lease,
                                                    const TrialConfig& config,
                                                    LeaseSession& session) {
  TrialConfig script_config = config;
  CommandSpec& command = *script_config.train.command;
  // Leave the worker time to report the preemption after the program exits.
  command.stop_grace_seconds =
      std::min(command.stop_grace_seconds, 0.8 * absl::ToDoubleSeconds(options_.grace));
  TrialLog log(AttemptLogPath(lease), link_.get(), lease);
  ScriptTrialOptions script_options;
  script_options.attempt_dir = absl::StrCat(options_.attempt_dir, "/running/", lease.sweep_id,
                                            "-", lease.trial, "-", lease.fencing_token);
  script_options.python_dir = options_.python_dir;
  script_options.log = [&log](const std::string& line) { log.Append(line); };
  ScriptTrial trial(script_config, grant.plan_json, lease, script_options);
  absl::Status ready = Resume(grant, lease, [&trial](const std::string& bytes) {
    return trial.Restore(bytes);
  });
  absl::StatusOr<TrainOutcome> outcome =
      ready.ok() ? trial.Run(&session) : absl::StatusOr<TrainOutcome>(ready);
  std::error_code ignored;
  std::filesystem::remove_all(script_options.attempt_dir, ignored);
  return outcome;
}

std::string WorkerAgent::AttemptLogPath(const LeaseRef& lease) const {
  return absl::StrCat(options_.attempt_dir, "/logs/", lease.sweep_id, "/", lease.trial,
                      "/attempt-", lease.fencing_token, ".log");
}

WorkerAgent::Attempt WorkerAgent::Train(const LeaseGrant& grant, const LeaseRef& lease) {
  Attempt attempt;
  absl::StatusOr<TrialConfig> config = ParseTrialConfig(grant.plan_json);
  LeaseSession session(link_.get(), lease, heartbeat_interval_, &stop_,
                       config.ok() ? &*config : nullptr, checkpoints_.get(), options_.metrics);
  if (!config.ok()) {
    attempt.outcome = config.status();
  } else if (config->train.command) {
    attempt.outcome = RunScript(grant, lease, *config, session);
  } else {
    attempt.outcome = RunBuiltin(grant, lease, *config, session);
  }
  if (attempt.outcome.ok()) session.Flush();
  attempt.unsent = session.TakeBuffer();
  attempt.lost = session.lost();
  attempt.stopped = session.stopped();
  if (absl::IsAborted(attempt.outcome.status())) attempt.preempt_checkpoint = session.stored_step();
  return attempt;
}

absl::string_view WorkerAgent::OutcomeName(const Attempt& attempt) {
  if (attempt.lost) return "lease_lost";
  if (absl::IsAborted(attempt.outcome.status())) return "preempted";
  if (attempt.stopped && !attempt.outcome.ok()) return "stopped";
  if (!attempt.outcome.ok()) return "failed";
  return attempt.outcome->diverged ? "diverged" : "completed";
}

absl::Status WorkerAgent::RunTrial(const LeaseGrant& grant) {
  const LeaseRef lease{worker_id_, grant.sweep_id, grant.trial, grant.fencing_token};
  std::cerr << "lrsweep-worker: trial " << grant.trial << " of " << grant.sweep_id
            << " (attempt " << grant.fencing_token << ")\n";
  Attempt attempt = Train(grant, lease);
  if (options_.metrics != nullptr) options_.metrics->OnAttemptEnded(OutcomeName(attempt));
  // Whatever happens next, this worker is done with the trial: its checkpoints are committed
  // where every worker finds them, and a local copy would only pile up.
  checkpoints_->Forget(lease);
  if (attempt.lost) {
    return absl::AbortedError(absl::StrCat("dropped trial ", grant.trial, ": lease lost"));
  }
  if (attempt.stopped && !attempt.outcome.ok()) {
    return absl::CancelledError(absl::StrCat("trial ", grant.trial, " stopped"));
  }
  return Report(lease, attempt);
}

absl::Status WorkerAgent::ReportOnce(const LeaseRef& lease, const Attempt& attempt) {
  if (absl::IsAborted(attempt.outcome.status())) {
    return link_->PreemptTrial(
        lease, attempt.preempt_checkpoint >= 0
                   ? absl::StrCat("worker stopping; checkpointed at step ",
                                  attempt.preempt_checkpoint)
                   : "worker stopping; no checkpoint stored");
  }
  if (attempt.outcome.ok()) {
    return link_->CompleteTrial(lease, attempt.outcome->diverged, attempt.outcome->reason,
                                attempt.unsent);
  }
  return link_->FailTrial(lease, std::string(attempt.outcome.status().message()));
}

absl::Status WorkerAgent::Report(const LeaseRef& lease, Attempt& attempt) {
  const bool preempted = absl::IsAborted(attempt.outcome.status());
  while (true) {
    const absl::Status status = ReportOnce(lease, attempt);
    // While stopping, only a preemption is worth waiting for: it saves the trial's progress.
    if (status.ok() || !IsRetryable(status) || (stop_.load() && !preempted)) {
      ResetBackoff();
      if (preempted) {
        std::cerr << "lrsweep-worker: gave back trial " << lease.trial << " at step "
                  << attempt.preempt_checkpoint << "\n";
      }
      return status;
    }
    Backoff();
  }
}

}  // namespace lrsweep
