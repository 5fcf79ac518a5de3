// WorkerAgent: the lrsweep-worker loop. Registers with the coordinator, long-polls for a lease,
// trains the trial while heartbeating and streaming metric batches, and reports the outcome.
//
// Failures of the coordinator connection are retried with exponential backoff and jitter; a
// report answered with a lost lease (IsLeaseLost: it expired and the trial went to another
// worker) drops the trial without a result. Metric points are sent in batches
// (every 64 points or second), never one RPC per step.
//
// On RequestStop() (SIGTERM) a running trial is checkpointed at its next step boundary, the
// checkpoint stored (see checkpoint_store.h), and the trial given back (PreemptTrial) before Run()
// returns. On a new lease the newest committed checkpoint that verifies is restored; a corrupt or
// missing one is skipped in favour of the one before, and the agent says so.
//
//   WorkerAgent agent(options, NewGrpcCoordinatorLink(options.coordinator, options.rpc_deadline));
//   agent.Run();             // until RequestStop()
//
// Thread safety: RequestStop() may be called from any thread (a signal-watching thread); the rest
// runs on the thread that called Run().
#ifndef LRSWEEP_WORKER_AGENT_H_
#define LRSWEEP_WORKER_AGENT_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "sweep/lease.h"
#include "torch/torch.h"
#include "worker/artifact_cache.h"
#include "worker/checkpoint_store.h"
#include "worker/coordinator_link.h"
#include "worker/worker_metrics.h"
#include "worker/lease_session.h"
#include "worker/trainer.h"

namespace lrsweep {

struct AgentOptions {
  std::string coordinator = "127.0.0.1:7077";
  torch::Device device = torch::kCPU;
  int32_t threads = 1;
  std::string name;
  absl::Duration lease_wait = absl::Seconds(10);
  std::string sweep_id;  // only this sweep's trials (`lrsweep run`); empty: any
  absl::Duration rpc_deadline = absl::Seconds(20);
  // Where checkpoints are stored: uploaded to the coordinator, or a shared directory.
  CheckpointStoreConfig checkpoint_store;
  // With the coordinator store: a local copy of the latest checkpoint of the running trial,
  // deleted when the trial ends here. Per user by default (DefaultWorkerStateDir()).
  std::string checkpoint_dir;
  // Downloaded models and data files, by digest; shared by the workers of a node. Default:
  // DefaultWorkerStateDir()/artifacts.
  std::string artifact_dir;
  // Command trials: the Python client package's folder (put on the program's PYTHONPATH), and
  // where attempts run (their trial.json, checkpoint folders) and keep their logs.
  std::string python_dir;
  std::string attempt_dir;
  // How long a SIGTERM gives the worker (--grace-seconds): a program being preempted gets most
  // of it to checkpoint.
  absl::Duration grace = absl::Seconds(30);
  // Exit 0 after this long without a trial (--exit-when-idle): a batch job (a Slurm array task,
  // a Kubernetes Job) then ends when its sweeps do instead of holding its GPU. Zero: never.
  absl::Duration exit_when_idle = absl::ZeroDuration();
  // Told of every step, checkpoint and attempt (--metrics-listen); not owned; may be null.
  WorkerMetrics* metrics = nullptr;
};

// $XDG_STATE_HOME/lrsweep/worker, else ~/.local/state/lrsweep/worker, else
// /tmp/lrsweep-worker-<uid>: never a folder other users share.
std::string DefaultWorkerStateDir();

class WorkerAgent {
 public:
  WorkerAgent(AgentOptions options, std::unique_ptr<CoordinatorLink> link);

  // Serves trials until RequestStop(). Returns non-OK only for errors that retrying cannot fix.
  absl::Status Run();
  void RequestStop();

 private:
  absl::Status Register();
  absl::Status RunTrial(const LeaseGrant& grant);
  // Trains the lease's trial, resuming from its newest usable checkpoint; the outcome of that.
  struct Attempt {
    absl::StatusOr<TrainOutcome> outcome = absl::UnknownError("not run");
    std::vector<MetricPoint> unsent;  // points not yet acknowledged, sent with the outcome
    bool lost = false, stopped = false;
    int64_t preempt_checkpoint = -1;  // the checkpoint a preemption stored; -1: none
  };
  Attempt Train(const LeaseGrant& grant, const LeaseRef& lease);
  // completed, diverged, failed, preempted, stopped or lease_lost (the metrics' label).
  static absl::string_view OutcomeName(const Attempt& attempt);
  // A built-in trial's attempt: the Trainer, resumed from the newest usable checkpoint.
  absl::StatusOr<TrainOutcome> RunBuiltin(const LeaseGrant& grant, const LeaseRef& lease,
                                          TrialConfig& config, LeaseSession& session);
  // A command trial's attempt: the user's program trains (script_trial.h).
  absl::StatusOr<TrainOutcome> RunScript(const LeaseGrant& grant, const LeaseRef& lease,
                                         const TrialConfig& config, LeaseSession& session);
  // The trial's data, with its model and data files fetched into the artifact cache.
  absl::StatusOr<std::shared_ptr<const DataSplits>> Prepare(TrialConfig& config);
  // Restores the newest checkpoint of the lease that verifies; none usable means from scratch.
  // `restore` loads one checkpoint's bytes (Trainer::Restore, ScriptTrial::Restore).
  absl::Status Resume(const LeaseGrant& grant, const LeaseRef& lease,
                      const std::function<absl::Status(const std::string&)>& restore);
  // Where a command trial's attempt keeps its log on this worker.
  std::string AttemptLogPath(const LeaseRef& lease) const;
  // Reports the attempt's outcome, retrying while the coordinator is unreachable.
  absl::Status Report(const LeaseRef& lease, Attempt& attempt);
  absl::Status ReportOnce(const LeaseRef& lease, const Attempt& attempt);
  // Logs that the coordinator cannot be reached, at most every 30 s.
  void SayUnreachable(const absl::Status& status);
  // True (and says so) when --exit-when-idle is set and no trial ran for that long.
  bool IdleTooLong() const;
  // Sleeps for the current backoff (with jitter) and doubles it, up to a cap.
  void Backoff();
  void ResetBackoff() { backoff_ = absl::Milliseconds(100); }

  AgentOptions options_;
  std::unique_ptr<CoordinatorLink> link_;
  std::unique_ptr<CheckpointStore> checkpoints_;
  ArtifactCache artifacts_;
  std::string worker_id_;
  absl::Duration heartbeat_interval_ = absl::Seconds(2);
  absl::Duration backoff_ = absl::Milliseconds(100);
  absl::Time last_unreachable_note_ = absl::InfinitePast();
  absl::Time last_work_ = absl::InfinitePast();  // when a trial last ended (or the agent started)
  std::atomic<bool> stop_{false};
  // Cancels the long-poll in flight on RequestStop(), so that stopping is prompt.
  CallCanceller poll_;
};

}  // namespace lrsweep

#endif  // LRSWEEP_WORKER_AGENT_H_
