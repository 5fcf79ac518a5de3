// CheckpointStore: where a worker puts the checkpoints of the trial it runs, and where it reads
// them back on a resume.
//
// Two stores, chosen per worker with --checkpoint-store:
// - "coordinator" (default): each checkpoint is streamed to the coordinator, which verifies and
//   keeps it under its data dir, so a trial can resume on any node without a shared filesystem.
//   A local copy of the latest one is kept under the worker's --checkpoint-dir.
// - "shared:DIR": each checkpoint is written atomically into DIR, a filesystem every worker mounts
//   (NFS, Lustre, a cloud filesystem), and only its size, SHA-256 and path are sent to the
//   coordinator (RegisterCheckpoint), which commits it. No checkpoint bytes cross the network to
//   the coordinator. The worker then deletes the trial's checkpoint files the coordinator no
//   longer keeps.
// Either store can read the other's checkpoints (a worker without the shared directory downloads
// a shared checkpoint when the coordinator mounts that directory), so workers may be mixed.
//
//   ASSIGN_OR_RETURN(CheckpointStoreConfig config, ParseCheckpointStoreFlag("shared:/mnt/ckpt"));
//   std::unique_ptr<CheckpointStore> store = NewCheckpointStore(config, link, "/tmp/w0");
//   RETURN_IF_ERROR(store->Save(lease, step, bytes));
//   ASSIGN_OR_RETURN(std::string bytes, store->Load(lease, grant.checkpoints[0]));
//
// Thread safety: Save and Load may run concurrently for different leases; the link is
// thread-safe.
#ifndef LRSWEEP_WORKER_CHECKPOINT_STORE_H_
#define LRSWEEP_WORKER_CHECKPOINT_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "sweep/lease.h"
#include "sweep/records.h"
#include "worker/coordinator_link.h"

namespace lrsweep {

struct CheckpointStoreConfig {
  enum class Kind { kCoordinator, kShared };
  Kind kind = Kind::kCoordinator;
  std::string shared_dir;  // for kShared
};

// Parses --checkpoint-store: "coordinator" or "shared:DIR" where DIR is an existing directory.
// INVALID_ARGUMENT naming the flag otherwise. A missing DIR is an error rather than created: an
// unmounted shared filesystem must not turn into checkpoints on a local disk no other node sees.
absl::StatusOr<CheckpointStoreConfig> ParseCheckpointStoreFlag(const std::string& value);

class CheckpointStore {
 public:
  virtual ~CheckpointStore() = default;

  // Stores the lease's checkpoint at `step`; OK once the coordinator has committed it. On an
  // error the previous committed checkpoint stays; IsLeaseLost() tells a lost lease.
  virtual absl::Status Save(const LeaseRef& lease, int64_t step, const std::string& bytes) = 0;

  // A committed checkpoint's bytes, verified against the size and SHA-256 recorded when it was
  // committed: DATA_LOSS for a file damaged since (the caller falls back to an older one).
  virtual absl::StatusOr<std::string> Load(const LeaseRef& lease,
                                           const CheckpointRecord& checkpoint) = 0;

  // The worker is done with the lease's trial: deletes what it keeps of it locally (not the
  // committed checkpoints).
  virtual void Forget(const LeaseRef& lease) {}

  // "coordinator" or "shared:DIR", for log lines.
  virtual std::string Describe() const = 0;
};

// `link` is not owned and must outlive the store. `local_copy_dir` receives the coordinator
// store's local copy of the latest checkpoint.
std::unique_ptr<CheckpointStore> NewCheckpointStore(const CheckpointStoreConfig& config,
                                                    CoordinatorLink* link,
                                                    std::string local_copy_dir);

}  // namespace lrsweep

#endif  // LRSWEEP_WORKER_CHECKPOINT_STORE_H_
