// The Coordinator's checkpoint catalogue: committing uploaded and shared-directory checkpoints,
// recording why one could not be stored, serving them, and keeping the newest `keep` per trial.
// (The rest of the class is in coordinator.cc.) Files are verified, renamed and deleted without
// the coordinator's lock; only planning and applying the records take it.
#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/atomic_file.h"
#include "common/checkpoint_files.h"
#include "common/status_macros.h"
#include "coordinator/coordinator.h"

namespace lrsweep {
namespace {

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

std::string TrialCheckpointDir(const CoordinatorOptions& options, const LeaseRef& lease) {
  return (std::filesystem::path(options.checkpoint_dir) / lease.sweep_id /
          std::to_string(lease.trial))
      .string();
}

// The trial's checkpoints after `added` is recorded, newest first, given those recorded before:
// what to keep (the newest `keep`; the newest is always kept, since a lease may resume from it)
// and what to drop. An earlier checkpoint of the same step stays dropped from the catalogue as
// the new one replaces it; its file is deleted only if it is another file.
struct Retention {
  std::vector<CheckpointRecord> kept;
  std::vector<CheckpointRecord> dropped;           // records to delete, with their files
  std::vector<CheckpointRecord> replaced_files;    // files of a replaced record of the same step
};

Retention Retain(std::vector<CheckpointRecord> existing, const CheckpointRecord& added,
                 size_t keep) {
  Retention retention;
  retention.kept.push_back(added);
  for (CheckpointRecord& old : existing) {
    if (old.step != added.step) {
      retention.kept.push_back(std::move(old));
    } else if (old.path != added.path || old.shared_path != added.shared_path) {
      // A resumed attempt checkpointed a step an earlier one did. An upload replaced the file in
      // place; a shared checkpoint has the attempt in its name, so the earlier file goes.
      retention.replaced_files.push_back(std::move(old));
    }
  }
  std::sort(retention.kept.begin(), retention.kept.end(),
            [](const CheckpointRecord& a, const CheckpointRecord& b) { return a.step > b.step; });
  while (retention.kept.size() > keep) {
    retention.dropped.push_back(std::move(retention.kept.back()));
    retention.kept.pop_back();
  }
  return retention;
}

}  // namespace

absl::Status Coordinator::CheckLease(const LeaseRef& lease) {
  absl::MutexLock lock(&mu_);
  return table_.Leased(lease).status();
}

absl::StatusOr<TempFile> Coordinator::BeginCheckpointUpload(const LeaseRef& lease, int64_t step) {
  RETURN_IF_ERROR(CheckLease(lease));
  const std::string dir = TrialCheckpointDir(options_, lease);
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", error.message()));
  return TempFile::Create(
      (std::filesystem::path(dir) / UploadTempName(lease.fencing_token, step)).string());
}

absl::Status Coordinator::CommitCheckpoint(const LeaseRef& lease, int64_t step, TempFile upload,
                                           const std::string& sha256_hex, int64_t size) {
  absl::Status status = VerifyDigest(absl::StrCat("checkpoint at step ", step), upload.size(),
                                     upload.sha256_hex(), {size, sha256_hex});
  if (status.ok()) {
    Deferred deferred;
    BeginCommit();
    status = StoreUpload(lease, step, upload, sha256_hex, size, &deferred);
    EndCommit(&deferred);
    RunDeferred(deferred);
  }
  if (!status.ok() && !absl::IsFailedPrecondition(status)) {
    NoteCheckpointFailure(lease, step, status).IgnoreError();  // best effort: shown by status
  }
  return status;
}

absl::Status Coordinator::StoreUpload(const LeaseRef& lease, int64_t step, TempFile& upload,
                                      const std::string& sha256_hex, int64_t size,
                                      Deferred* deferred) {
  RETURN_IF_ERROR(CheckLease(lease));
  const std::string path =
      (std::filesystem::path(TrialCheckpointDir(options_, lease)) / UploadedCheckpointName(step))
          .string();
  RETURN_IF_ERROR(upload.CommitTo(path));
  return RecordCheckpoint(lease,
                          {lease.sweep_id, lease.trial, step, sha256_hex, size, path,
                           lease.fencing_token, NowMs(), ""},
                          deferred)
      .status();
}

absl::StatusOr<RegisteredCheckpoint> Coordinator::RegisterSharedCheckpoint(
    const LeaseRef& lease, const SharedCheckpoint& checkpoint) {
  RETURN_IF_ERROR(
      ValidateSharedCheckpointPath(lease.sweep_id, lease.trial, checkpoint.shared_path));
  RETURN_IF_ERROR(CheckLease(lease));
  RegisteredCheckpoint registered;
  if (!options_.shared_checkpoint_dir.empty()) {
    const std::string file =
        (std::filesystem::path(options_.shared_checkpoint_dir) / checkpoint.shared_path).string();
    absl::Status verified =
        VerifyCheckpointFile(file, {checkpoint.size, checkpoint.sha256_hex});
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
  Deferred deferred;
  BeginCommit();
  absl::StatusOr<std::vector<CheckpointRecord>> kept =
      RecordCheckpoint(lease, {lease.sweep_id, lease.trial, checkpoint.step, checkpoint.sha256_hex,
                               checkpoint.size, "", lease.fencing_token, NowMs(),
                               checkpoint.shared_path},
                       &deferred);
  EndCommit(&deferred);
  RunDeferred(deferred);
  RETURN_IF_ERROR(kept.status());
  for (const CheckpointRecord& committed : *kept) {
    if (!committed.shared_path.empty()) registered.kept_shared_paths.push_back(committed.shared_path);
  }
  return registered;
}

absl::StatusOr<std::vector<CheckpointRecord>> Coordinator::RecordCheckpoint(
    const LeaseRef& lease, CheckpointRecord checkpoint, Deferred* deferred) {
  // Read outside the lock: only the lease holder adds checkpoints to its trial, and transitions
  // are serialized by commit_mu_.
  ASSIGN_OR_RETURN(std::vector<CheckpointRecord> existing,
                   store_->ListCheckpoints(lease.sweep_id, lease.trial));
  StoreWrite write;
  size_t keep = 1;
  {
    absl::MutexLock lock(&mu_);
    ASSIGN_OR_RETURN(write, table_.CheckpointStored(lease, checkpoint.step, NowMs()));
    keep = static_cast<size_t>(table_.checkpoint_keep(lease.sweep_id));
  }
  Retention retention = Retain(std::move(existing), checkpoint, keep);
  write.added_checkpoints.push_back(checkpoint);
  write.deleted_checkpoints = retention.dropped;
  RETURN_IF_ERROR(PersistAndApply(std::move(write), deferred));
  for (const CheckpointRecord& gone : retention.dropped) RemoveCheckpointFile(gone);
  for (const CheckpointRecord& gone : retention.replaced_files) RemoveCheckpointFile(gone);
  return retention.kept;
}

absl::Status Coordinator::NoteCheckpointFailure(const LeaseRef& lease, int64_t step,
                                                const absl::Status& error) {
  return Transition([&](const TrialTable& table) {
    return table.CheckpointFailed(lease, step, std::string(error.message()), NowMs());
  });
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
  RETURN_IF_ERROR(CheckLease(lease));
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
