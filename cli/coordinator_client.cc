#include "cli/coordinator_client.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/atomic_file.h"
#include "common/checkpoint_files.h"
#include "common/status_macros.h"
#include "rpc/client_security.h"
#include "rpc/rpc_convert.h"
#include "grpcpp/grpcpp.h"

namespace lrsweep {
namespace {

constexpr absl::Duration kSubmitDeadline = absl::Minutes(10);

}  // namespace

std::string ResolveCoordinatorAddress(const std::string& flag) {
  if (!flag.empty()) return flag;
  const char* env = std::getenv("LRSWEEP_COORDINATOR");
  if (env != nullptr && *env != '\0') return env;
  return kDefaultCoordinator;
}

CoordinatorClient::CoordinatorClient(std::string address, absl::Duration deadline,
                                     ClientSecurity security)
    : address_(std::move(address)), deadline_(deadline), security_(std::move(security)) {
  stub_ = v1::SweepService::NewStub(NewChannel(address_, security_));
}

std::unique_ptr<grpc::ClientContext> CoordinatorClient::Context() const {
  auto context = std::make_unique<grpc::ClientContext>();
  SetDeadline(*context, deadline_);
  return context;
}

absl::Status CoordinatorClient::Check(const grpc::Status& status) const {
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return absl::UnavailableError(absl::StrCat(
        "cannot reach the coordinator at ", address_, " (", status.error_message(),
        "). Start lrsweep-coordinator, or point to it with --coordinator HOST:PORT or "
        "LRSWEEP_COORDINATOR.",
        ConnectionHint(security_)));
  }
  return FromGrpcStatus(status);
}

absl::StatusOr<v1::SubmitSweepResponse> CoordinatorClient::Submit(
    const std::string& yaml, const std::string& file_name,
    const std::vector<ArtifactRef>& artifacts, const std::string& base_dir,
    const std::string& into_sweep_id) {
  v1::SubmitSweepRequest request;
  request.set_into_sweep_id(into_sweep_id);
  request.set_yaml(yaml);
  request.set_file_name(file_name);
  request.set_base_dir(base_dir);
  for (const ArtifactRef& ref : artifacts) *request.add_artifacts() = ToProto(ref);
  v1::SubmitSweepResponse response;
  // Planning takes time for a large sweep (100,000 trials: tens of seconds).
  grpc::ClientContext context;
  SetDeadline(context, std::max(deadline_, kSubmitDeadline));
  const grpc::Status status = stub_->SubmitSweep(&context, request, &response);
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return absl::DeadlineExceededError(absl::StrCat(
        "the coordinator at ", address_, " did not answer the submission within ",
        absl::FormatDuration(std::max(deadline_, kSubmitDeadline)),
        "; it may still create the sweep: check `lrsweep status` before submitting again"));
  }
  RETURN_IF_ERROR(Check(status));
  return response;
}

absl::StatusOr<v1::StatArtifactsResponse> CoordinatorClient::StatArtifacts(
    const std::vector<std::string>& sha256) {
  v1::StatArtifactsRequest request;
  for (const std::string& digest : sha256) request.add_sha256(digest);
  v1::StatArtifactsResponse response;
  RETURN_IF_ERROR(Check(stub_->StatArtifacts(Context().get(), request, &response)));
  return response;
}

absl::Status CoordinatorClient::UploadArtifact(const std::string& sha256, int64_t size,
                                               const std::string& path) {
  grpc::ClientContext context;
  // A large file takes its time: a deadline per MiB beyond the usual one.
  SetDeadline(context, deadline_ + absl::Seconds(size >> 20));
  v1::UploadArtifactResponse response;
  std::unique_ptr<grpc::ClientWriter<v1::ArtifactChunk>> writer =
      stub_->UploadArtifact(&context, &response);
  bool first = true;
  const absl::Status read = ReadFileInChunks(path, kCheckpointChunkBytes, [&](absl::string_view data) {
    v1::ArtifactChunk chunk;
    if (first) {
      chunk.set_sha256(sha256);
      chunk.set_size(size);
      first = false;
    }
    chunk.set_data(std::string(data));
    if (!writer->Write(chunk)) return absl::UnavailableError("the coordinator ended the upload");
    return absl::OkStatus();
  });
  writer->WritesDone();
  const absl::Status finished = Check(writer->Finish());
  if (!finished.ok()) return absl::Status(finished.code(), absl::StrCat(path, ": ", finished.message()));
  return read;
}

absl::StatusOr<v1::SweepSummary> CoordinatorClient::GetSweep(const std::string& sweep_id) {
  v1::GetSweepRequest request;
  request.set_sweep_id(sweep_id);
  v1::GetSweepResponse response;
  absl::Status status = Check(stub_->GetSweep(Context().get(), request, &response));
  if (!status.ok()) return status;
  return response.sweep();
}

absl::StatusOr<v1::ListSweepsResponse> CoordinatorClient::ListSweeps() {
  v1::ListSweepsResponse response;
  absl::Status status = Check(stub_->ListSweeps(Context().get(), {}, &response));
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<std::vector<v1::TrialInfo>> CoordinatorClient::ListTrials(
    const std::string& sweep_id) {
  v1::ListTrialsRequest request;
  request.set_sweep_id(sweep_id);
  v1::ListTrialsResponse response;
  absl::Status status = Check(stub_->ListTrials(Context().get(), request, &response));
  if (!status.ok()) return status;
  return std::vector<v1::TrialInfo>(response.trials().begin(), response.trials().end());
}

absl::StatusOr<std::vector<v1::MetricPoint>> CoordinatorClient::GetMetrics(
    const std::string& sweep_id, int64_t trial) {
  v1::GetMetricsRequest request;
  request.set_sweep_id(sweep_id);
  request.set_trial(trial);
  v1::GetMetricsResponse response;
  absl::Status status = Check(stub_->GetMetrics(Context().get(), request, &response));
  if (!status.ok()) return status;
  return std::vector<v1::MetricPoint>(response.points().begin(), response.points().end());
}

absl::StatusOr<v1::GetTrialLogResponse> CoordinatorClient::GetTrialLog(
    const std::string& sweep_id, int64_t trial, int64_t attempt, int64_t tail_bytes) {
  v1::GetTrialLogRequest request;
  request.set_sweep_id(sweep_id);
  request.set_trial(trial);
  request.set_attempt(attempt);
  request.set_tail_bytes(tail_bytes);
  v1::GetTrialLogResponse response;
  RETURN_IF_ERROR(Check(stub_->GetTrialLog(Context().get(), request, &response)));
  return response;
}

absl::StatusOr<int64_t> CoordinatorClient::Cancel(const std::string& sweep_id) {
  v1::CancelSweepRequest request;
  request.set_sweep_id(sweep_id);
  v1::CancelSweepResponse response;
  absl::Status status = Check(stub_->CancelSweep(Context().get(), request, &response));
  if (!status.ok()) return status;
  return response.cancelled_trials();
}

absl::StatusOr<int64_t> CoordinatorClient::Retry(const std::string& sweep_id, bool cancelled) {
  v1::RetrySweepRequest request;
  request.set_sweep_id(sweep_id);
  request.set_cancelled(cancelled);
  v1::RetrySweepResponse response;
  RETURN_IF_ERROR(Check(stub_->RetrySweep(Context().get(), request, &response)));
  return response.retried_trials();
}

absl::StatusOr<v1::SweepSummary> CoordinatorClient::Label(
    const std::string& sweep_id, const std::optional<std::string>& note,
    const std::vector<std::string>& add_tags, const std::vector<std::string>& remove_tags) {
  v1::LabelSweepRequest request;
  request.set_sweep_id(sweep_id);
  request.set_set_note(note.has_value());
  request.set_note(note.value_or(""));
  for (const std::string& tag : add_tags) request.add_add_tags(tag);
  for (const std::string& tag : remove_tags) request.add_remove_tags(tag);
  v1::LabelSweepResponse response;
  RETURN_IF_ERROR(Check(stub_->LabelSweep(Context().get(), request, &response)));
  return response.sweep();
}

absl::StatusOr<v1::SpaceFreed> CoordinatorClient::Archive(const std::string& sweep_id) {
  v1::ArchiveSweepRequest request;
  request.set_sweep_id(sweep_id);
  v1::ArchiveSweepResponse response;
  RETURN_IF_ERROR(Check(stub_->ArchiveSweep(Context().get(), request, &response)));
  return response.freed();
}

absl::StatusOr<v1::SpaceFreed> CoordinatorClient::Delete(const std::string& sweep_id) {
  v1::DeleteSweepRequest request;
  request.set_sweep_id(sweep_id);
  v1::DeleteSweepResponse response;
  RETURN_IF_ERROR(Check(stub_->DeleteSweep(Context().get(), request, &response)));
  return response.freed();
}

absl::Status CoordinatorClient::Watch(const std::string& sweep_id,
                                      const std::function<bool(const v1::SweepEvent&)>& on_event) {
  v1::WatchSweepRequest request;
  request.set_sweep_id(sweep_id);
  grpc::ClientContext context;  // no deadline: a sweep may run for days
  std::unique_ptr<grpc::ClientReader<v1::SweepEvent>> reader = stub_->WatchSweep(&context, request);
  v1::SweepEvent event;
  while (reader->Read(&event)) {
    if (!on_event(event)) {
      context.TryCancel();
      break;
    }
  }
  const grpc::Status status = reader->Finish();
  if (status.error_code() == grpc::StatusCode::CANCELLED) return absl::OkStatus();
  return Check(status);
}

}  // namespace lrsweep
