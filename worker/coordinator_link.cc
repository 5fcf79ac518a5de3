#include "worker/coordinator_link.h"

#include "absl/strings/str_cat.h"
#include "common/atomic_file.h"
#include "common/checkpoint_files.h"
#include "common/status_macros.h"
#include "lrsweep/v1/lrsweep.grpc.pb.h"
#include "rpc/client_security.h"
#include "rpc/rpc_convert.h"
#include "rpc/status.h"

namespace lrsweep {

// --- CallCanceller ---

void CallCanceller::Cancel() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
  if (cancel_call_) cancel_call_();
}

bool CallCanceller::cancelled() const {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

bool CallCanceller::Begin(std::function<void()> cancel_call) {
  absl::MutexLock lock(&mu_);
  if (cancelled_) return false;
  cancel_call_ = std::move(cancel_call);
  return true;
}

void CallCanceller::End() {
  absl::MutexLock lock(&mu_);
  cancel_call_ = nullptr;
}

bool IsRetryable(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsCancelled(status) ||
         absl::IsDeadlineExceeded(status) || absl::IsResourceExhausted(status);
}

namespace {

class GrpcCoordinatorLink final : public CoordinatorLink {
 public:
  GrpcCoordinatorLink(const std::string& address, absl::Duration rpc_deadline,
                      const ClientSecurity& security)
      : stub_(v1::WorkerService::NewStub(NewChannel(address, security))),
        rpc_deadline_(rpc_deadline),
        connection_hint_(ConnectionHint(security)) {}

  absl::StatusOr<Registration> Register(const std::string& name, const std::string& device,
                                        int32_t threads) override {
    v1::RegisterWorkerRequest request;
    request.set_name(name);
    request.set_device(device);
    request.set_threads(threads);
    v1::RegisterWorkerResponse response;
    const absl::Status called =
        Call(&v1::WorkerService::Stub::RegisterWorker, request, &response);
    // The first call says what to check when TLS cannot be set up; later calls need not.
    if (absl::IsUnavailable(called)) {
      return absl::UnavailableError(absl::StrCat(called.message(), ".", connection_hint_));
    }
    RETURN_IF_ERROR(called);
    return Registration{response.worker_id(),
                        absl::Milliseconds(std::max<int64_t>(10, response.heartbeat_interval_ms())),
                        absl::Milliseconds(response.lease_timeout_ms())};
  }

  absl::Status UnregisterWorker(const std::string& worker_id) override {
    v1::UnregisterWorkerRequest request;
    request.set_worker_id(worker_id);
    v1::UnregisterWorkerResponse response;
    // A coordinator that cannot be reached must not hold up the worker's exit.
    return Call(&v1::WorkerService::Stub::UnregisterWorker, request, &response,
                std::min(rpc_deadline_, absl::Seconds(2)));
  }

  absl::StatusOr<std::optional<LeaseGrant>> AcquireLease(const std::string& worker_id,
                                                         const std::string& sweep_id,
                                                         absl::Duration wait,
                                                         CallCanceller* canceller) override {
    v1::AcquireLeaseRequest request;
    request.set_worker_id(worker_id);
    request.set_sweep_id(sweep_id);
    request.set_wait_ms(absl::ToInt64Milliseconds(wait));
    v1::AcquireLeaseResponse response;
    RETURN_IF_ERROR(Call(&v1::WorkerService::Stub::AcquireLease, request, &response,
                         wait + rpc_deadline_, canceller));
    if (!response.has_lease()) return std::optional<LeaseGrant>();
    return std::optional<LeaseGrant>(FromProto(response.lease()));
  }

  absl::StatusOr<Directive> Heartbeat(const LeaseRef& lease, int64_t step,
                                      CallCanceller* canceller) override {
    v1::HeartbeatRequest request;
    *request.mutable_lease() = ToProto(lease);
    request.set_step(step);
    v1::HeartbeatResponse response;
    RETURN_IF_ERROR(Call(&v1::WorkerService::Stub::Heartbeat, request, &response, rpc_deadline_,
                         canceller));
    return FromProto(response.directive());
  }

  absl::StatusOr<Directive> ReportMetrics(const LeaseRef& lease,
                                          const std::vector<MetricPoint>& points) override {
    v1::ReportMetricsRequest request;
    *request.mutable_lease() = ToProto(lease);
    for (const MetricPoint& point : points) *request.add_points() = ToProto(point);
    v1::ReportMetricsResponse response;
    RETURN_IF_ERROR(Call(&v1::WorkerService::Stub::ReportMetrics, request, &response));
    return FromProto(response.directive());
  }

  absl::Status CompleteTrial(const LeaseRef& lease, bool diverged, const std::string& reason,
                             const std::vector<MetricPoint>& points) override {
    v1::CompleteTrialRequest request;
    *request.mutable_lease() = ToProto(lease);
    request.set_diverged(diverged);
    request.set_reason(reason);
    for (const MetricPoint& point : points) *request.add_points() = ToProto(point);
    v1::CompleteTrialResponse response;
    return Call(&v1::WorkerService::Stub::CompleteTrial, request, &response);
  }

  absl::Status FailTrial(const LeaseRef& lease, const std::string& reason) override {
    v1::FailTrialRequest request;
    *request.mutable_lease() = ToProto(lease);
    request.set_reason(reason);
    v1::FailTrialResponse response;
    return Call(&v1::WorkerService::Stub::FailTrial, request, &response);
  }

  absl::Status PreemptTrial(const LeaseRef& lease, const std::string& reason) override {
    v1::PreemptTrialRequest request;
    *request.mutable_lease() = ToProto(lease);
    request.set_reason(reason);
    v1::PreemptTrialResponse response;
    return Call(&v1::WorkerService::Stub::PreemptTrial, request, &response);
  }

  absl::Status UploadCheckpoint(const LeaseRef& lease, int64_t step,
                                const std::string& bytes) override;
  absl::StatusOr<std::string> DownloadCheckpoint(const LeaseRef& lease,
                                                 const CheckpointRecord& committed) override;

  absl::StatusOr<RegisteredCheckpoint> RegisterCheckpoint(
      const LeaseRef& lease, const SharedCheckpoint& checkpoint) override {
    v1::RegisterCheckpointRequest request;
    *request.mutable_lease() = ToProto(lease);
    request.set_step(checkpoint.step);
    request.set_size(checkpoint.size);
    request.set_sha256(checkpoint.sha256_hex);
    request.set_shared_path(checkpoint.shared_path);
    v1::RegisterCheckpointResponse response;
    RETURN_IF_ERROR(Call(&v1::WorkerService::Stub::RegisterCheckpoint, request, &response));
    RegisteredCheckpoint registered;
    registered.verified = response.verified();
    registered.kept_shared_paths.assign(response.kept_shared_paths().begin(),
                                        response.kept_shared_paths().end());
    return registered;
  }

  absl::Status DownloadArtifact(
      const std::string& sha256,
      const std::function<absl::Status(absl::string_view)>& consume) override {
    v1::DownloadArtifactRequest request;
    request.set_sha256(sha256);
    grpc::ClientContext context;
    SetDeadline(context, absl::Minutes(30));  // a dataset of gigabytes takes its time
    std::unique_ptr<grpc::ClientReader<v1::ArtifactChunk>> reader =
        stub_->DownloadArtifact(&context, request);
    v1::ArtifactChunk chunk;
    absl::Status consumed = absl::OkStatus();
    while (consumed.ok() && reader->Read(&chunk)) consumed = consume(chunk.data());
    if (!consumed.ok()) context.TryCancel();
    const absl::Status finished = FromGrpcStatus(reader->Finish());
    return consumed.ok() ? finished : consumed;
  }

  absl::Status ReportCheckpointFailure(const LeaseRef& lease, int64_t step,
                                       const std::string& error) override {
    v1::RegisterCheckpointRequest request;
    *request.mutable_lease() = ToProto(lease);
    request.set_step(step);
    request.set_error(error);
    v1::RegisterCheckpointResponse response;
    return Call(&v1::WorkerService::Stub::RegisterCheckpoint, request, &response);
  }

  absl::Status AppendTrialLog(const LeaseRef& lease, const std::string& text) override {
    v1::AppendTrialLogRequest request;
    *request.mutable_lease() = ToProto(lease);
    request.set_text(text);
    v1::AppendTrialLogResponse response;
    return Call(&v1::WorkerService::Stub::AppendTrialLog, request, &response);
  }

 private:
  // One unary call with the deadline policy: `timeout` (default: rpc_deadline), cancellable
  // through `canceller` when given.
  template <typename Request, typename Response>
  absl::Status Call(grpc::Status (v1::WorkerService::Stub::*method)(grpc::ClientContext*,
                                                                    const Request&, Response*),
                    const Request& request, Response* response,
                    std::optional<absl::Duration> timeout = std::nullopt,
                    CallCanceller* canceller = nullptr) {
    grpc::ClientContext context;
    SetDeadline(context, timeout.value_or(rpc_deadline_));
    if (canceller != nullptr && !canceller->Begin([&context] { context.TryCancel(); })) {
      return absl::CancelledError("cancelled");
    }
    const grpc::Status status = (stub_.get()->*method)(&context, request, response);
    if (canceller != nullptr) canceller->End();
    return FromGrpcStatus(status);
  }

  // Checkpoint transfers stream more bytes than a unary call: they get a longer deadline.
  absl::Duration TransferDeadline() const { return rpc_deadline_ * 3; }

  const std::unique_ptr<v1::WorkerService::Stub> stub_;
  const absl::Duration rpc_deadline_;
  const std::string connection_hint_;  // appended when Register finds no coordinator
};

absl::Status GrpcCoordinatorLink::UploadCheckpoint(const LeaseRef& lease, int64_t step,
                                                   const std::string& bytes) {
  grpc::ClientContext context;
  SetDeadline(context, TransferDeadline());
  v1::UploadCheckpointResponse response;
  std::unique_ptr<grpc::ClientWriter<v1::CheckpointChunk>> writer =
      stub_->UploadCheckpoint(&context, &response);
  for (size_t offset = 0; offset == 0 || offset < bytes.size(); offset += kCheckpointChunkBytes) {
    v1::CheckpointChunk chunk;
    if (offset == 0) {
      *chunk.mutable_lease() = ToProto(lease);
      chunk.set_step(step);
      chunk.set_size(static_cast<int64_t>(bytes.size()));
      chunk.set_sha256(Sha256Hex(bytes));
    }
    chunk.set_data(bytes.substr(offset, kCheckpointChunkBytes));
    if (!writer->Write(chunk)) break;
  }
  writer->WritesDone();
  return FromGrpcStatus(writer->Finish());
}

absl::StatusOr<std::string> GrpcCoordinatorLink::DownloadCheckpoint(
    const LeaseRef& lease, const CheckpointRecord& committed) {
  v1::DownloadCheckpointRequest request;
  *request.mutable_lease() = ToProto(lease);
  request.set_step(committed.step);
  grpc::ClientContext context;
  SetDeadline(context, TransferDeadline());
  std::unique_ptr<grpc::ClientReader<v1::CheckpointChunk>> reader =
      stub_->DownloadCheckpoint(&context, request);
  std::string bytes;
  Sha256Hasher hasher;
  v1::CheckpointChunk chunk;
  while (reader->Read(&chunk)) {
    hasher.Update(chunk.data());
    bytes += chunk.data();
  }
  RETURN_IF_ERROR(FromGrpcStatus(reader->Finish()));
  RETURN_IF_ERROR(VerifyDigest(absl::StrCat("downloaded checkpoint at step ", committed.step),
                               static_cast<int64_t>(bytes.size()), hasher.FinalHex(),
                               {committed.size, committed.sha256}));
  return bytes;
}

}  // namespace

std::unique_ptr<CoordinatorLink> NewGrpcCoordinatorLink(const std::string& address,
                                                        absl::Duration rpc_deadline,
                                                        const ClientSecurity& security) {
  return std::make_unique<GrpcCoordinatorLink>(address, rpc_deadline, security);
}

}  // namespace lrsweep
