#include "worker/agent.h"

#include <iostream>
#include <mutex>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "coordinator/rpc_convert.h"
#include "worker/checkpoint_store.h"
#include "worker/data.h"
#include "worker/lease_session.h"
#include "worker/trainer.h"
#include "worker/trial_config.h"

namespace lrsweep {
namespace {

constexpr absl::Duration kMaxBackoff = absl::Seconds(5);

bool Retryable(const grpc::Status& status) {
  // CANCELLED: the coordinator shut down mid-call; the call may be repeated safely (a report
  // that did commit is answered FAILED_PRECONDITION the second time).
  return status.error_code() == grpc::StatusCode::UNAVAILABLE ||
         status.error_code() == grpc::StatusCode::CANCELLED ||
         status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
         status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED;
}

}  // namespace

WorkerAgent::WorkerAgent(AgentOptions options) : options_(std::move(options)) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  channel_ = grpc::CreateCustomChannel(options_.coordinator, grpc::InsecureChannelCredentials(), args);
  stub_ = v1::WorkerService::NewStub(channel_);
  checkpoints_ = NewCheckpointStore(options_.checkpoint_store, stub_.get(), options_.rpc_deadline,
                                    options_.checkpoint_dir);
}

std::unique_ptr<grpc::ClientContext> WorkerAgent::Context(absl::Duration deadline) const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  return context;
}

void WorkerAgent::Backoff() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const double jitter = 0.5 + std::uniform_real_distribution<double>(0, 1)(rng);
  absl::SleepFor(backoff_ * jitter);
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
}

absl::Status WorkerAgent::Register() {
  v1::RegisterWorkerRequest request;
  request.set_name(options_.name);
  request.set_device(options_.device.str());
  request.set_threads(options_.threads);
  while (!stop_.load()) {
    v1::RegisterWorkerResponse response;
    const grpc::Status status = stub_->RegisterWorker(Context(options_.rpc_deadline).get(), request,
                                                      &response);
    if (status.ok()) {
      worker_id_ = response.worker_id();
      heartbeat_interval_ = absl::Milliseconds(std::max<int64_t>(10, response.heartbeat_interval_ms()));
      std::cerr << "lrsweep-worker: registered as " << worker_id_ << " with "
                << options_.coordinator << " (" << options_.device.str() << ", "
                << options_.threads << " threads, checkpoints to " << checkpoints_->Describe()
                << ")\n";
      ResetBackoff();
      return absl::OkStatus();
    }
    if (!Retryable(status)) return FromGrpcStatus(status);
    Backoff();
  }
  return absl::CancelledError("stopped");
}

void WorkerAgent::RequestStop() {
  std::lock_guard<std::mutex> lock(poll_mu_);
  stop_.store(true);
  if (poll_ != nullptr) poll_->TryCancel();
}

absl::Status WorkerAgent::Run() {
  RETURN_IF_ERROR(Register());
  while (!stop_.load()) {
    v1::AcquireLeaseRequest request;
    request.set_worker_id(worker_id_);
    request.set_wait_ms(absl::ToInt64Milliseconds(options_.lease_wait));
    v1::AcquireLeaseResponse response;
    const std::unique_ptr<grpc::ClientContext> context =
        Context(options_.lease_wait + options_.rpc_deadline);
    {
      std::lock_guard<std::mutex> lock(poll_mu_);
      if (stop_.load()) break;
      poll_ = context.get();
    }
    const grpc::Status status = stub_->AcquireLease(context.get(), request, &response);
    {
      std::lock_guard<std::mutex> lock(poll_mu_);
      poll_ = nullptr;
    }
    if (stop_.load()) break;
    if (!status.ok()) {
      if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
        RETURN_IF_ERROR(Register());  // the coordinator does not know us (a new data dir)
      } else if (!Retryable(status)) {
        return FromGrpcStatus(status);
      } else {
        Backoff();
      }
      continue;
    }
    ResetBackoff();
    if (!response.has_lease()) continue;
    const absl::Status trial = RunTrial(response.lease());
    if (!trial.ok()) std::cerr << "lrsweep-worker: " << trial.message() << "\n";
  }
  return absl::OkStatus();
}

absl::Status WorkerAgent::Resume(const v1::Lease& lease, const v1::LeaseRef& ref,
                                 Trainer& trainer) {
  for (const v1::CheckpointRef& checkpoint : lease.checkpoints()) {
    const int64_t step = checkpoint.step();
    absl::StatusOr<std::string> bytes = checkpoints_->Load(ref, checkpoint);
    absl::Status restored = bytes.ok() ? trainer.Restore(*bytes) : bytes.status();
    if (restored.ok()) {
      std::cerr << "lrsweep-worker: resumed trial " << lease.trial() << " from its checkpoint at step "
                << step << "\n";
      return absl::OkStatus();
    }
    if (absl::IsFailedPrecondition(restored) && restored.message().find("stale lease") !=
                                                     std::string::npos) {
      return restored;
    }
    std::cerr << "lrsweep-worker: checkpoint at step " << step << " of trial " << lease.trial()
              << " is unusable (" << restored.message()
              << "); falling back to the previous one\n";
  }
  if (lease.checkpoints_size() > 0) {
    std::cerr << "lrsweep-worker: no usable checkpoint for trial " << lease.trial()
              << "; starting it from the beginning\n";
  }
  return absl::OkStatus();
}

absl::Status WorkerAgent::RunTrial(const v1::Lease& lease) {
  v1::LeaseRef ref;
  ref.set_worker_id(worker_id_);
  ref.set_sweep_id(lease.sweep_id());
  ref.set_trial(lease.trial());
  ref.set_fencing_token(lease.fencing_token());
  std::cerr << "lrsweep-worker: trial " << lease.trial() << " of " << lease.sweep_id()
            << " (attempt " << lease.fencing_token() << ")\n";

  absl::StatusOr<TrainOutcome> outcome = absl::UnknownError("not run");
  bool lost = false, stopped = false;
  int64_t preempt_checkpoint = -1;
  std::vector<v1::MetricPoint> remaining;
  absl::StatusOr<TrialConfig> config = ParseTrialConfig(lease.plan_json());
  {
    LeaseSession session(stub_.get(), ref, heartbeat_interval_, options_.rpc_deadline, &stop_,
                         config.ok() ? &*config : nullptr, checkpoints_.get());
    absl::StatusOr<std::shared_ptr<const DataSplits>> data =
        config.ok() ? LoadData(config->train.data, options_.device) : config.status();
    if (!data.ok()) {
      outcome = data.status();
    } else {
      Trainer trainer(*config, *data, TrainerOptions{options_.device});
      trainer.set_fencing_token(lease.fencing_token());
      absl::Status ready = trainer.Init();
      if (ready.ok()) ready = Resume(lease, ref, trainer);
      session.StartedAt(trainer.step());
      outcome = ready.ok() ? trainer.Train(&session) : absl::StatusOr<TrainOutcome>(ready);
    }
    if (outcome.ok()) session.Flush();
    remaining = session.TakeBuffer();
    lost = session.lost();
    stopped = session.stopped();
    if (absl::IsAborted(outcome.status())) preempt_checkpoint = session.stored_step();
  }
  if (lost) return absl::AbortedError(absl::StrCat("dropped trial ", lease.trial(), ": lease lost"));
  if (stopped && !outcome.ok()) {
    return absl::CancelledError(absl::StrCat("trial ", lease.trial(), " stopped"));
  }

  // Report the outcome; retry while the coordinator is unreachable (it may be restarting).
  while (true) {
    grpc::Status status;
    if (absl::IsAborted(outcome.status())) {
      v1::PreemptTrialRequest request;
      *request.mutable_lease() = ref;
      request.set_reason(preempt_checkpoint >= 0
                             ? absl::StrCat("worker stopping; checkpointed at step ", preempt_checkpoint)
                             : "worker stopping; no checkpoint stored");
      v1::PreemptTrialResponse response;
      status = stub_->PreemptTrial(Context(options_.rpc_deadline).get(), request, &response);
    } else if (outcome.ok()) {
      v1::CompleteTrialRequest request;
      *request.mutable_lease() = ref;
      request.set_diverged(outcome->diverged);
      request.set_reason(outcome->reason);
      for (v1::MetricPoint& point : remaining) *request.add_points() = point;
      v1::CompleteTrialResponse response;
      status = stub_->CompleteTrial(Context(options_.rpc_deadline).get(), request, &response);
    } else {
      v1::FailTrialRequest request;
      *request.mutable_lease() = ref;
      request.set_reason(std::string(outcome.status().message()));
      v1::FailTrialResponse response;
      status = stub_->FailTrial(Context(options_.rpc_deadline).get(), request, &response);
    }
    if (status.ok() || !Retryable(status) || (stop_.load() && !absl::IsAborted(outcome.status()))) {
      ResetBackoff();
      if (absl::IsAborted(outcome.status())) {
        std::cerr << "lrsweep-worker: gave back trial " << lease.trial() << " at step "
                  << preempt_checkpoint << "\n";
      }
      return FromGrpcStatus(status);
    }
    Backoff();
  }
}

}  // namespace lrsweep
