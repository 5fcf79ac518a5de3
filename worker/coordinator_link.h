// CoordinatorLink: the worker's client of the coordinator, with lrsweep's domain types in and
// out (sweep/lease.h, sweep/records.h) rather than protocol messages.
//
// It holds the one deadline policy of the worker — `rpc_deadline` for a unary call, three times
// that for a checkpoint transfer, the wait plus `rpc_deadline` for a long-poll — and the one way
// to tell that a lease is lost: IsLeaseLost(status) (common/status_reason.h) on what a call
// returns, from the reason the coordinator puts in the status details. IsRetryable() says which
// errors a caller may retry. LeaseSession, the CheckpointStores and the WorkerAgent talk to the
// coordinator only through this interface, so their unit tests use a fake instead of a server.
//
//   std::unique_ptr<CoordinatorLink> link = NewGrpcCoordinatorLink("10.0.0.5:7077",
//                                                                  absl::Seconds(20));
//   ASSIGN_OR_RETURN(CoordinatorLink::Registration me, link->Register("gpu0", "cuda:0", 4));
//   ASSIGN_OR_RETURN(std::optional<LeaseGrant> grant,
//                    link->AcquireLease(me.worker_id, "", absl::Seconds(10), nullptr));
//   absl::StatusOr<Directive> directive = link->Heartbeat(lease, step);
//   if (IsLeaseLost(directive.status())) DropTheTrial();
//
// Thread safety: implementations are thread-safe. A CallCanceller may be cancelled from any
// thread.
#ifndef LRSWEEP_WORKER_COORDINATOR_LINK_H_
#define LRSWEEP_WORKER_COORDINATOR_LINK_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "rpc/client_security.h"
#include "sweep/lease.h"
#include "sweep/records.h"

namespace lrsweep {

// Lets one thread cancel another's call in flight: the long-poll when the worker stops, a
// heartbeat when its lease session ends. Once cancelled, the call in flight and every later call
// given this canceller return CANCELLED at once.
class CallCanceller {
 public:
  void Cancel() ABSL_LOCKS_EXCLUDED(mu_);
  bool cancelled() const ABSL_LOCKS_EXCLUDED(mu_);

  // For CoordinatorLink implementations: registers how to cancel the call about to start; false
  // when already cancelled (do not start it). End() when the call returned.
  bool Begin(std::function<void()> cancel_call) ABSL_LOCKS_EXCLUDED(mu_);
  void End() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  std::function<void()> cancel_call_ ABSL_GUARDED_BY(mu_);
};

// UNAVAILABLE, CANCELLED (a coordinator shutting down mid-call), DEADLINE_EXCEEDED and
// RESOURCE_EXHAUSTED: the call may be repeated safely (a report that did commit is refused as a
// stale lease the second time).
bool IsRetryable(const absl::Status& status);

class CoordinatorLink {
 public:
  struct Registration {
    std::string worker_id;
    absl::Duration heartbeat_interval;
    absl::Duration lease_timeout;
  };

  virtual ~CoordinatorLink() = default;

  virtual absl::StatusOr<Registration> Register(const std::string& name,
                                                const std::string& device, int32_t threads) = 0;
  // Says goodbye: the worker is stopping normally. Waits at most a few seconds.
  virtual absl::Status UnregisterWorker(const std::string& worker_id) = 0;
  // Long-polls up to `wait` for a lease (on `sweep_id`'s trials only, unless empty); nullopt
  // when the wait ended without work. NOT_FOUND when the coordinator does not know the worker
  // (register again).
  virtual absl::StatusOr<std::optional<LeaseGrant>> AcquireLease(const std::string& worker_id,
                                                                 const std::string& sweep_id,
                                                                 absl::Duration wait,
                                                                 CallCanceller* canceller) = 0;
  virtual absl::StatusOr<Directive> Heartbeat(const LeaseRef& lease, int64_t step,
                                              CallCanceller* canceller) = 0;
  virtual absl::StatusOr<Directive> ReportMetrics(const LeaseRef& lease,
                                                  const std::vector<MetricPoint>& points) = 0;
  virtual absl::Status CompleteTrial(const LeaseRef& lease, bool diverged,
                                     const std::string& reason,
                                     const std::vector<MetricPoint>& points) = 0;
  virtual absl::Status FailTrial(const LeaseRef& lease, const std::string& reason) = 0;
  virtual absl::Status PreemptTrial(const LeaseRef& lease, const std::string& reason) = 0;

  // Streams the checkpoint to the coordinator's store; OK once it is committed there.
  virtual absl::Status UploadCheckpoint(const LeaseRef& lease, int64_t step,
                                        const std::string& bytes) = 0;
  // A committed checkpoint from the coordinator's store, verified against the size and SHA-256
  // recorded at commit (DATA_LOSS when they differ).
  virtual absl::StatusOr<std::string> DownloadCheckpoint(const LeaseRef& lease,
                                                         const CheckpointRecord& committed) = 0;
  // Commits a checkpoint written into the shared directory (metadata only).
  virtual absl::StatusOr<RegisteredCheckpoint> RegisterCheckpoint(
      const LeaseRef& lease, const SharedCheckpoint& checkpoint) = 0;
  // Streams the artifact `sha256` through `consume`, chunk by chunk (the caller verifies).
  virtual absl::Status DownloadArtifact(
      const std::string& sha256,
      const std::function<absl::Status(absl::string_view)>& consume) = 0;
  // Records on the trial that its checkpoint at `step` could not be written.
  virtual absl::Status ReportCheckpointFailure(const LeaseRef& lease, int64_t step,
                                               const std::string& error) = 0;
  // Appends a command trial's output to the attempt's log on the coordinator.
  virtual absl::Status AppendTrialLog(const LeaseRef& lease, const std::string& text) {
    return absl::UnimplementedError("this link keeps no trial logs");
  }
};

// The link over gRPC to the coordinator at `address` (HOST:PORT), over TLS with a token when
// `security` says so.
std::unique_ptr<CoordinatorLink> NewGrpcCoordinatorLink(const std::string& address,
                                                        absl::Duration rpc_deadline,
                                                        const ClientSecurity& security = {});

}  // namespace lrsweep

#endif  // LRSWEEP_WORKER_COORDINATOR_LINK_H_
