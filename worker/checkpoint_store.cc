#include "worker/checkpoint_store.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/atomic_file.h"
#include "common/shared_checkpoint_path.h"
#include "common/status_macros.h"
#include "coordinator/rpc_convert.h"
#include "worker/checkpoint_transfer.h"

namespace lrsweep {
namespace {

constexpr char kSharedPrefix[] = "shared:";

// The attempt in a shared checkpoint file's name (step-<step>-a<attempt>.ckpt, or the temp file
// of one being written); nullopt for any other file.
std::optional<int64_t> AttemptOf(const std::string& name) {
  const size_t marker = name.find("-a");
  const size_t suffix = name.find(".ckpt");
  int64_t attempt = 0;
  if (!absl::StartsWith(name, "step-") || marker == std::string::npos ||
      suffix == std::string::npos || suffix < marker ||
      !absl::SimpleAtoi(name.substr(marker + 2, suffix - marker - 2), &attempt)) {
    return std::nullopt;
  }
  return attempt;
}

// Uploads stream more bytes than a unary call: they get a longer deadline.
absl::Duration TransferDeadline(absl::Duration rpc_deadline) { return rpc_deadline * 3; }

absl::Status VerifyBytes(const std::string& bytes, const v1::CheckpointRef& checkpoint,
                         const std::string& where) {
  if (static_cast<int64_t>(bytes.size()) != checkpoint.size()) {
    return absl::DataLossError(absl::StrCat(where, " has ", bytes.size(), " bytes, but ",
                                            checkpoint.size(), " were committed"));
  }
  if (Sha256Hex(bytes) != checkpoint.sha256()) {
    return absl::DataLossError(
        absl::StrCat(where, " does not match the SHA-256 committed for it"));
  }
  return absl::OkStatus();
}

// Streams checkpoints to the coordinator's store.
class CoordinatorCheckpointStore final : public CheckpointStore {
 public:
  CoordinatorCheckpointStore(v1::WorkerService::StubInterface* stub, absl::Duration rpc_deadline,
                             std::string local_copy_dir)
      : stub_(stub), rpc_deadline_(rpc_deadline), local_copy_dir_(std::move(local_copy_dir)) {}

  absl::Status Save(const v1::LeaseRef& lease, int64_t step, const std::string& bytes) override {
    // The local copy is a convenience for inspection; the upload is what counts.
    const absl::Status local = WriteLocalCopy(lease, bytes);
    if (!local.ok()) std::cerr << "lrsweep-worker: " << local.message() << "\n";
    return UploadCheckpoint(*stub_, lease, step, bytes, TransferDeadline(rpc_deadline_));
  }

  absl::StatusOr<std::string> Load(const v1::LeaseRef& lease,
                                   const v1::CheckpointRef& checkpoint) override {
    return DownloadCheckpoint(*stub_, lease, checkpoint.step(), TransferDeadline(rpc_deadline_));
  }

  std::string Describe() const override { return "coordinator"; }

 private:
  absl::Status WriteLocalCopy(const v1::LeaseRef& lease, const std::string& bytes) {
    std::error_code error;
    std::filesystem::create_directories(local_copy_dir_, error);
    return WriteFileAtomically(
        absl::StrCat(local_copy_dir_, "/", lease.sweep_id(), "-", lease.trial(), ".ckpt"), bytes);
  }

  v1::WorkerService::StubInterface* const stub_;
  const absl::Duration rpc_deadline_;
  const std::string local_copy_dir_;
};

// Writes checkpoints into a shared directory and registers them with the coordinator.
class SharedCheckpointStore final : public CheckpointStore {
 public:
  SharedCheckpointStore(v1::WorkerService::StubInterface* stub, absl::Duration rpc_deadline,
                        std::string dir)
      : stub_(stub), rpc_deadline_(rpc_deadline), dir_(std::move(dir)) {}

  absl::Status Save(const v1::LeaseRef& lease, int64_t step, const std::string& bytes) override {
    const std::string relative =
        SharedCheckpointPath(lease.sweep_id(), lease.trial(), step, lease.fencing_token());
    const absl::Status written = Write(relative, bytes);
    if (!written.ok()) {
      ReportWriteFailure(lease, step, written);
      return written;
    }
    v1::RegisterCheckpointRequest request;
    *request.mutable_lease() = lease;
    request.set_step(step);
    request.set_size(static_cast<int64_t>(bytes.size()));
    request.set_sha256(Sha256Hex(bytes));
    request.set_shared_path(relative);
    v1::RegisterCheckpointResponse response;
    const absl::Status registered = Register(request, &response);
    if (!registered.ok()) {
      // Refused for good: the file will never be committed. Otherwise (unreachable, deadline)
      // the commit may have happened, so the file stays.
      if (absl::IsFailedPrecondition(registered) || absl::IsInvalidArgument(registered) ||
          absl::IsDataLoss(registered) || absl::IsNotFound(registered)) {
        Remove(relative);
      }
      return registered;
    }
    DeleteUnkept(lease, relative, response.kept_shared_paths());
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> Load(const v1::LeaseRef& lease,
                                   const v1::CheckpointRef& checkpoint) override {
    if (checkpoint.shared_path().empty() ||
        !ValidateSharedCheckpointPath(lease.sweep_id(), lease.trial(), checkpoint.shared_path())
             .ok()) {
      // In the coordinator's store (uploaded by a worker without the shared directory).
      return DownloadCheckpoint(*stub_, lease, checkpoint.step(), TransferDeadline(rpc_deadline_));
    }
    const std::string path = Full(checkpoint.shared_path());
    absl::StatusOr<std::string> bytes = ReadBinaryFile(path);
    if (absl::IsNotFound(bytes.status())) {
      return absl::DataLossError(absl::StrCat(
          path, " does not exist: was it deleted, or is another directory mounted here?"));
    }
    RETURN_IF_ERROR(bytes.status());
    RETURN_IF_ERROR(VerifyBytes(*bytes, checkpoint, path));
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
  void DeleteUnkept(const v1::LeaseRef& lease, const std::string& just_registered,
                    const google::protobuf::RepeatedPtrField<std::string>& kept) {
    const std::string trial_dir = absl::StrCat(lease.sweep_id(), "/", lease.trial());
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(Full(trial_dir), error)) {
      const std::string name = entry.path().filename().string();
      const std::string relative = absl::StrCat(trial_dir, "/", name);
      const std::optional<int64_t> attempt = AttemptOf(name);
      if (!attempt || *attempt > lease.fencing_token() || relative == just_registered ||
          std::find(kept.begin(), kept.end(), relative) != kept.end()) {
        continue;
      }
      Remove(relative);
    }
  }

  absl::Status Register(const v1::RegisterCheckpointRequest& request,
                        v1::RegisterCheckpointResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + rpc_deadline_));
    return FromGrpcStatus(stub_->RegisterCheckpoint(&context, request, response));
  }

  // Records on the trial why its checkpoint is missing (a full shared disk shows in status).
  void ReportWriteFailure(const v1::LeaseRef& lease, int64_t step, const absl::Status& error) {
    v1::RegisterCheckpointRequest request;
    *request.mutable_lease() = lease;
    request.set_step(step);
    request.set_error(std::string(error.message()));
    v1::RegisterCheckpointResponse response;
    Register(request, &response).IgnoreError();  // best effort: the trial goes on either way
  }

  v1::WorkerService::StubInterface* const stub_;
  const absl::Duration rpc_deadline_;
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
                                                    v1::WorkerService::StubInterface* stub,
                                                    absl::Duration rpc_deadline,
                                                    std::string local_copy_dir) {
  if (config.kind == CheckpointStoreConfig::Kind::kShared) {
    return std::make_unique<SharedCheckpointStore>(stub, rpc_deadline, config.shared_dir);
  }
  return std::make_unique<CoordinatorCheckpointStore>(stub, rpc_deadline,
                                                      std::move(local_copy_dir));
}

}  // namespace lrsweep
