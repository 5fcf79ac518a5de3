#include "worker/checkpoint_store.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/atomic_file.h"
#include "common/checkpoint_files.h"
#include "common/status_macros.h"

namespace lrsweep {
namespace {

constexpr char kSharedPrefix[] = "shared:";

// Streams checkpoints to the coordinator's store.
class CoordinatorCheckpointStore final : public CheckpointStore {
 public:
  CoordinatorCheckpointStore(CoordinatorLink* link, std::string local_copy_dir)
      : link_(link), local_copy_dir_(std::move(local_copy_dir)) {}

  absl::Status Save(const LeaseRef& lease, int64_t step, const std::string& bytes) override {
    // The local copy is a convenience for inspection; the upload is what counts.
    const absl::Status local = WriteLocalCopy(lease, bytes);
    if (!local.ok()) std::cerr << "lrsweep-worker: " << local.message() << "\n";
    return link_->UploadCheckpoint(lease, step, bytes);
  }

  absl::StatusOr<std::string> Load(const LeaseRef& lease,
                                   const CheckpointRecord& checkpoint) override {
    return link_->DownloadCheckpoint(lease, checkpoint);
  }

  void Forget(const LeaseRef& lease) override {
    std::error_code ignored;
    std::filesystem::remove(LocalCopy(lease), ignored);
  }

  std::string Describe() const override { return "coordinator"; }

 private:
  std::string LocalCopy(const LeaseRef& lease) const {
    return absl::StrCat(local_copy_dir_, "/", lease.sweep_id, "-", lease.trial, ".ckpt");
  }

  absl::Status WriteLocalCopy(const LeaseRef& lease, const std::string& bytes) {
    std::error_code error;
    std::filesystem::create_directories(local_copy_dir_, error);
    return WriteFileAtomically(LocalCopy(lease), bytes);
  }

  CoordinatorLink* const link_;
  const std::string local_copy_dir_;
};

// Writes checkpoints into a shared directory and registers them with the coordinator.
class SharedCheckpointStore final : public CheckpointStore {
 public:
  SharedCheckpointStore(CoordinatorLink* link, std::string dir)
      : link_(link), dir_(std::move(dir)) {}

  absl::Status Save(const LeaseRef& lease, int64_t step, const std::string& bytes) override {
    const std::string relative =
        SharedCheckpointPath(lease.sweep_id, lease.trial, step, lease.fencing_token);
    const absl::Status written = Write(relative, bytes);
    if (!written.ok()) {
      // Best effort: the trial goes on either way, and a full shared disk shows in status.
      link_->ReportCheckpointFailure(lease, step, std::string(written.message())).IgnoreError();
      return written;
    }
    absl::StatusOr<RegisteredCheckpoint> registered = link_->RegisterCheckpoint(
        lease, {step, relative, Sha256Hex(bytes), static_cast<int64_t>(bytes.size())});
    if (!registered.ok()) {
      // Refused for good: the file will never be committed. Otherwise (unreachable, deadline)
      // the commit may have happened, so the file stays.
      if (!IsRetryable(registered.status())) Remove(relative);
      return registered.status();
    }
    DeleteUnkept(lease, relative, registered->kept_shared_paths);
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> Load(const LeaseRef& lease,
                                   const CheckpointRecord& checkpoint) override {
    if (checkpoint.shared_path.empty() ||
        !ValidateSharedCheckpointPath(lease.sweep_id, lease.trial, checkpoint.shared_path).ok()) {
      // In the coordinator's store (uploaded by a worker without the shared directory).
      return link_->DownloadCheckpoint(lease, checkpoint);
    }
    const std::string path = Full(checkpoint.shared_path);
    absl::StatusOr<std::string> bytes = ReadBinaryFile(path);
    if (absl::IsNotFound(bytes.status())) {
      return absl::DataLossError(absl::StrCat(
          path, " does not exist: was it deleted, or is another directory mounted here?"));
    }
    RETURN_IF_ERROR(bytes.status());
    RETURN_IF_ERROR(VerifyDigest(path, static_cast<int64_t>(bytes->size()), Sha256Hex(*bytes),
                                 {checkpoint.size, checkpoint.sha256}));
    return bytes;
  }

  std::string Describe() const override { return kSharedPrefix + dir_; }

 private:
  std::string Full(const std::string& relative) const {
    return (std::filesystem::path(dir_) / relative).string();
  }

  absl::Status Write(const std::string& relative, const std::string& bytes) {
    const std::filesystem::path path = Full(relative);
    std::error_code error;
    std::filesystem::create_directories(path.parent_path(), error);
    if (error) {
      return absl::InternalError(absl::StrCat("cannot create ", path.parent_path().string(), ": ",
                                              error.message()));
    }
    return WriteFileAtomically(path.string(), bytes);
  }

  void Remove(const std::string& relative) {
    std::error_code ignored;
    std::filesystem::remove(Full(relative), ignored);
  }

  // Holding the trial's valid lease, this worker is the only one that may commit its checkpoints:
  // a checkpoint file of this or an earlier attempt that the coordinator does not keep is garbage
  // — beyond `keep`, replaced by a later attempt, or left by a write that was killed or could not
  // register (temp files included). A stale writer still busy there only loses a file it could
  // never have committed. Files of later attempts are left alone: this lease may have just
  // expired.
  void DeleteUnkept(const LeaseRef& lease, const std::string& just_registered,
                    const std::vector<std::string>& kept) {
    const std::string trial_dir = absl::StrCat(lease.sweep_id, "/", lease.trial);
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(Full(trial_dir), error)) {
      const std::string name = entry.path().filename().string();
      const std::string relative = absl::StrCat(trial_dir, "/", name);
      const std::optional<int64_t> attempt = AttemptOfSharedCheckpoint(name);
      if (!attempt || *attempt > lease.fencing_token || relative == just_registered ||
          std::find(kept.begin(), kept.end(), relative) != kept.end()) {
        continue;
      }
      Remove(relative);
    }
  }

  CoordinatorLink* const link_;
  const std::string dir_;
};

}  // namespace

absl::StatusOr<CheckpointStoreConfig> ParseCheckpointStoreFlag(const std::string& value) {
  CheckpointStoreConfig config;
  if (value == "coordinator") return config;
  if (!absl::StartsWith(value, kSharedPrefix) || value.size() == sizeof(kSharedPrefix) - 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--checkpoint-store ", value,
        ": expected \"coordinator\" (upload to the coordinator) or \"shared:DIR\" (a directory "
        "every worker mounts)"));
  }
  config.kind = CheckpointStoreConfig::Kind::kShared;
  config.shared_dir = value.substr(sizeof(kSharedPrefix) - 1);
  std::error_code error;
  if (!std::filesystem::is_directory(config.shared_dir, error)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--checkpoint-store ", value, ": ", config.shared_dir,
        " is not a directory; mount the shared filesystem (or create the directory) first"));
  }
  return config;
}

std::unique_ptr<CheckpointStore> NewCheckpointStore(const CheckpointStoreConfig& config,
                                                    CoordinatorLink* link,
                                                    std::string local_copy_dir) {
  if (config.kind == CheckpointStoreConfig::Kind::kShared) {
    return std::make_unique<SharedCheckpointStore>(link, config.shared_dir);
  }
  return std::make_unique<CoordinatorCheckpointStore>(link, std::move(local_copy_dir));
}

}  // namespace lrsweep
