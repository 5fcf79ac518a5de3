// WorkerAgent: the lrsweep-worker loop. Registers with the coordinator, long-polls for a lease,
// trains the trial while heartbeating and streaming metric batches, and reports the outcome.
//
// Failures of the coordinator connection are retried with exponential backoff and jitter; a
// report answered FAILED_PRECONDITION means the lease was lost (it expired and the trial went to
// another worker), so the trial is dropped without a result. Metric points are sent in batches
// (every 64 points or second), never one RPC per step.
//
// On RequestStop() (SIGTERM) a running trial is checkpointed at its next step boundary, the
// checkpoint stored (see checkpoint_store.h), and the trial given back (PreemptTrial) before Run()
// returns. On a new lease the newest committed checkpoint that verifies is restored; a corrupt or
// missing one is skipped in favour of the one before, and the agent says so.
//
//   WorkerAgent agent(options);
//   agent.Run();             // until RequestStop()
//
// Thread safety: RequestStop() may be called from any thread (a signal-watching thread); the rest
// runs on the thread that called Run().
#ifndef LRSWEEP_WORKER_AGENT_H_
#define LRSWEEP_WORKER_AGENT_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lrsweep/v1/lrsweep.grpc.pb.h"
#include "torch/torch.h"
#include "worker/checkpoint_store.h"
#include "worker/trainer.h"

namespace lrsweep {

struct AgentOptions {
  std::string coordinator = "127.0.0.1:7077";
  torch::Device device = torch::kCPU;
  int32_t threads = 1;
  std::string name;
  absl::Duration lease_wait = absl::Seconds(10);
  absl::Duration rpc_deadline = absl::Seconds(20);
  // Where checkpoints are stored: uploaded to the coordinator, or a shared directory.
  CheckpointStoreConfig checkpoint_store;
  // With the coordinator store: a local copy of the latest checkpoint of the running trial.
  std::string checkpoint_dir = "/tmp/lrsweep-worker";
};

class WorkerAgent {
 public:
  explicit WorkerAgent(AgentOptions options);

  // Serves trials until RequestStop(). Returns non-OK only for errors that retrying cannot fix.
  absl::Status Run();
  void RequestStop();

 private:
  absl::Status Register();
  absl::Status RunTrial(const v1::Lease& lease);
  // Restores the newest checkpoint of the lease that verifies; none usable means from scratch.
  absl::Status Resume(const v1::Lease& lease, const v1::LeaseRef& ref, Trainer& trainer);
  // Sleeps for the current backoff (with jitter) and doubles it, up to a cap.
  void Backoff();
  void ResetBackoff() { backoff_ = absl::Milliseconds(100); }
  std::unique_ptr<grpc::ClientContext> Context(absl::Duration deadline) const;

  AgentOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::WorkerService::Stub> stub_;
  std::unique_ptr<CheckpointStore> checkpoints_;
  std::string worker_id_;
  absl::Duration heartbeat_interval_ = absl::Seconds(2);
  absl::Duration backoff_ = absl::Milliseconds(100);
  std::atomic<bool> stop_{false};
  // The long-poll in flight, cancelled by RequestStop() so that stopping is prompt.
  std::mutex poll_mu_;
  grpc::ClientContext* poll_ ABSL_GUARDED_BY(poll_mu_) = nullptr;
};

}  // namespace lrsweep

#endif  // LRSWEEP_WORKER_AGENT_H_
