// The Coordinator's checkpoint catalogue: committing uploaded and shared-directory checkpoints,
// recording why one could not be stored, serving them, and keeping the newest `keep` per trial.
// (The rest of the class is in coordinator.cc.)
#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/atomic_file.h"
#include "common/shared_checkpoint_path.h"
#include "common/status_macros.h"
#include "coordinator/coordinator.h"

namespace lrsweep {
namespace {

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

// DATA_LOSS unless the file at `path` has `size` bytes with SHA-256 `sha256_hex`.
absl::Status VerifyCheckpointFile(const std::string& path, int64_t step, int64_t size,
                                  const std::string& sha256_hex) {
  ASSIGN_OR_RETURN(std::string bytes, ReadBinaryFile(path));
  if (static_cast<int64_t>(bytes.size()) != size) {
    return absl::DataLossError(absl::StrCat("checkpoint at step ", step, " (", path, ") has ",
                                            bytes.size(), " bytes, expected ", size));
  }
  if (Sha256Hex(bytes) != sha256_hex) {
    return absl::DataLossError(
        absl::StrCat("checkpoint at step ", step, " (", path, ") does not match its SHA-256"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> Coordinator::BeginCheckpointUpload(const LeaseRef& lease,
                                                               int64_t step) {
  {
    absl::MutexLock lock(&mu_);
    RETURN_IF_ERROR(CheckLease(lease).status());
  }
  const std::filesystem::path dir = std::filesystem::path(options_.checkpoint_dir) /
                                    lease.sweep_id / std::to_string(lease.trial);
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return absl::InternalError(absl::StrCat("cannot create ", dir.string(), ": ", error.message()));
  }
  return (dir / absl::StrCat("upload-", lease.fencing_token, "-", step, ".tmp")).string();
}

absl::Status Coordinator::CommitCheckpoint(const LeaseRef& lease, int64_t step,
                                           const std::string& temp_path,
                                           const std::string& sha256_hex, int64_t size) {
  // Verify outside the lock: the file may be large.
  absl::Status verified = VerifyCheckpointFile(temp_path, step, size, sha256_hex);
  if (verified.ok()) {
    absl::MutexLock lock(&mu_);
    absl::StatusOr<TrialRecord*> trial = CheckLease(lease);
    verified = trial.status();
    const std::string path =
        (std::filesystem::path(temp_path).parent_path() / absl::StrCat("step-", step, ".ckpt"))
            .string();
    if (verified.ok()) verified = RenameDurably(temp_path, path);
    if (verified.ok()) {
      verified = RecordCheckpoint(lease, *trial,
                                  {lease.sweep_id, lease.trial, step, sha256_hex, size, path,
                                   lease.fencing_token, NowMs(), ""})
                     .status();
    }
  }
  std::error_code ignored;
  std::filesystem::remove(temp_path, ignored);
  if (!verified.ok() && !absl::IsFailedPrecondition(verified)) {
    NoteCheckpointFailure(lease, step, verified).IgnoreError();
  }
  return verified;
}

absl::StatusOr<RegisteredCheckpoint> Coordinator::RegisterSharedCheckpoint(
    const LeaseRef& lease, const SharedCheckpoint& checkpoint) {
  RETURN_IF_ERROR(
      ValidateSharedCheckpointPath(lease.sweep_id, lease.trial, checkpoint.shared_path));
  {
    absl::MutexLock lock(&mu_);
    RETURN_IF_ERROR(CheckLease(lease).status());
  }
  RegisteredCheckpoint registered;
  if (!options_.shared_checkpoint_dir.empty()) {
    // Outside the lock: the file may be large.
    const std::string file =
        (std::filesystem::path(options_.shared_checkpoint_dir) / checkpoint.shared_path).string();
    absl::Status verified =
        VerifyCheckpointFile(file, checkpoint.step, checkpoint.size, checkpoint.sha256_hex);
    if (absl::IsNotFound(verified)) {
      verified = absl::DataLossError(absl::StrCat(
          file, " does not exist on the coordinator: do the workers' --checkpoint-store "
                "shared:DIR and the coordinator's --shared-checkpoint-dir name the same storage?"));
    }
    if (!verified.ok()) {
      NoteCheckpointFailure(lease, checkpoint.step, verified).IgnoreError();
      return verified;
    }
    registered.verified = true;
  }
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(TrialRecord * trial, CheckLease(lease));
  ASSIGN_OR_RETURN(std::vector<CheckpointRecord> kept,
                   RecordCheckpoint(lease, trial,
                                    {lease.sweep_id, lease.trial, checkpoint.step,
                                     checkpoint.sha256_hex, checkpoint.size, "",
                                     lease.fencing_token, NowMs(), checkpoint.shared_path}));
  for (const CheckpointRecord& committed : kept) {
    if (!committed.shared_path.empty()) registered.kept_shared_paths.push_back(committed.shared_path);
  }
  return registered;
}

absl::StatusOr<std::vector<CheckpointRecord>> Coordinator::RecordCheckpoint(
    const LeaseRef& lease, TrialRecord* trial, CheckpointRecord checkpoint) {
  ASSIGN_OR_RETURN(std::vector<CheckpointRecord> existing,
                   store_->ListCheckpoints(lease.sweep_id, lease.trial));
  TrialRecord updated = *trial;
  updated.checkpoint_step = checkpoint.step;
  updated.checkpoint_error.clear();
  updated.updated_ms = NowMs();
  RETURN_IF_ERROR(store_->AddCheckpoint(checkpoint, updated));
  *trial = std::move(updated);

  // The trial's checkpoints now, newest first. The lease that may resume from one holds the
  // newest, which is always kept.
  std::vector<CheckpointRecord> kept = {checkpoint};
  for (CheckpointRecord& old : existing) {
    if (old.step != checkpoint.step) {
      kept.push_back(std::move(old));
    } else if (old.path != checkpoint.path || old.shared_path != checkpoint.shared_path) {
      // A resumed attempt checkpointed a step an earlier one did. An upload replaced the file in
      // place; a shared checkpoint has the attempt in its name, so the earlier file goes.
      RemoveCheckpointFile(old);
    }
  }
  std::sort(kept.begin(), kept.end(),
            [](const CheckpointRecord& a, const CheckpointRecord& b) { return a.step > b.step; });
  const size_t keep =
      static_cast<size_t>(std::max<int64_t>(1, sweeps_.at(lease.sweep_id).record.checkpoint_keep));
  for (size_t i = kept.size(); i-- > keep;) {
    // A record that cannot be deleted stays, and so does its file.
    if (!store_->DeleteCheckpoint(lease.sweep_id, lease.trial, kept[i].step).ok()) continue;
    RemoveCheckpointFile(kept[i]);
    kept.erase(kept.begin() + static_cast<std::ptrdiff_t>(i));
  }
  return kept;
}

absl::Status Coordinator::NoteCheckpointFailure(const LeaseRef& lease, int64_t step,
                                                const absl::Status& error) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(TrialRecord * trial, CheckLease(lease));
  trial->checkpoint_error =
      absl::StrCat("checkpoint at step ", step, " not stored: ", error.message());
  store_->UpdateTrial(*trial).IgnoreError();  // may fail for the same reason (a full disk)
  return absl::OkStatus();
}

void Coordinator::RemoveCheckpointFile(const CheckpointRecord& checkpoint) const {
  if (const std::string path = LocalPath(checkpoint); !path.empty()) {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
}

std::string Coordinator::LocalPath(const CheckpointRecord& checkpoint) const {
  if (!checkpoint.path.empty()) return checkpoint.path;
  if (checkpoint.shared_path.empty() || options_.shared_checkpoint_dir.empty()) return "";
  return (std::filesystem::path(options_.shared_checkpoint_dir) / checkpoint.shared_path).string();
}

absl::StatusOr<CheckpointRecord> Coordinator::GetCheckpoint(const LeaseRef& lease, int64_t step) {
  {
    absl::MutexLock lock(&mu_);
    RETURN_IF_ERROR(CheckLease(lease).status());
  }
  ASSIGN_OR_RETURN(std::vector<CheckpointRecord> checkpoints,
                   store_->ListCheckpoints(lease.sweep_id, lease.trial));
  for (CheckpointRecord& checkpoint : checkpoints) {
    if (checkpoint.step != step) continue;
    checkpoint.path = LocalPath(checkpoint);
    if (checkpoint.path.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "checkpoint at step ", step, " is in the shared checkpoint directory (",
          checkpoint.shared_path, "), which the coordinator does not mount: run the worker with "
          "--checkpoint-store shared:DIR on that directory, or the coordinator with "
          "--shared-checkpoint-dir"));
    }
    return checkpoint;
  }
  return absl::NotFoundError(absl::StrCat("trial ", lease.trial, " of ", lease.sweep_id,
                                          " has no checkpoint at step ", step));
}

}  // namespace lrsweep
