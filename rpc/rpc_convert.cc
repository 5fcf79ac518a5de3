#include "rpc/rpc_convert.h"

namespace lrsweep {

namespace {

// The domain enums share their proto twins' numbers, so conversion is a cast.
template <typename Domain, typename Proto>
constexpr bool Same(Domain domain, Proto proto) {
  return static_cast<int>(domain) == static_cast<int>(proto);
}
static_assert(Same(TrialState::kPending, v1::PENDING) && Same(TrialState::kRunning, v1::RUNNING) &&
              Same(TrialState::kCompleted, v1::COMPLETED) &&
              Same(TrialState::kDiverged, v1::DIVERGED) && Same(TrialState::kFailed, v1::FAILED) &&
              Same(TrialState::kCancelled, v1::CANCELLED) &&
              Same(TrialState::kPreempted, v1::PREEMPTED) &&
              Same(TrialState::kStopped, v1::STOPPED) && v1::TrialState_MAX == v1::STOPPED,
              "TrialState and lrsweep.v1.TrialState must agree");
static_assert(Same(SweepState::kRunning, v1::SWEEP_RUNNING) &&
              Same(SweepState::kFinished, v1::SWEEP_FINISHED) &&
              Same(SweepState::kCancelled, v1::SWEEP_CANCELLED) &&
              v1::SweepState_MAX == v1::SWEEP_CANCELLED,
              "SweepState and lrsweep.v1.SweepState must agree");
static_assert(v1::Directive_MAX == v1::PREEMPT && v1::WorkerState_MAX == v1::WORKER_STOPPED,
              "a new Directive or WorkerState needs its conversion below");

}  // namespace

v1::TrialState ToProto(TrialState state) { return static_cast<v1::TrialState>(state); }
TrialState FromProto(v1::TrialState state) { return static_cast<TrialState>(state); }
v1::SweepState ToProto(SweepState state) { return static_cast<v1::SweepState>(state); }
SweepState FromProto(v1::SweepState state) { return static_cast<SweepState>(state); }

v1::Directive ToProto(Directive directive) {
  switch (directive) {
    case Directive::kContinue:
      return v1::CONTINUE;
    case Directive::kStop:
      return v1::STOP;
    case Directive::kPreempt:
      return v1::PREEMPT;
  }
  return v1::CONTINUE;
}

Directive FromProto(v1::Directive directive) {
  switch (directive) {
    case v1::STOP:
      return Directive::kStop;
    case v1::PREEMPT:
      return Directive::kPreempt;
    default:
      return Directive::kContinue;
  }
}

v1::WorkerState ToProto(WorkerState state) {
  switch (state) {
    case WorkerState::kTraining:
      return v1::WORKER_TRAINING;
    case WorkerState::kWaiting:
      return v1::WORKER_WAITING;
    case WorkerState::kLost:
      return v1::WORKER_LOST;
    case WorkerState::kStopped:
      return v1::WORKER_STOPPED;
  }
  return v1::WORKER_LOST;
}

v1::MetricPoint ToProto(const MetricPoint& p) {
  v1::MetricPoint out;
  out.set_step(p.step);
  out.set_epoch(p.epoch);
  out.set_lr(p.lr);
  if (p.momentum) out.set_momentum(*p.momentum);
  if (p.train_loss) out.set_train_loss(*p.train_loss);
  if (p.val_loss) out.set_val_loss(*p.val_loss);
  if (p.val_accuracy) out.set_val_accuracy(*p.val_accuracy);
  if (p.test_accuracy) out.set_test_accuracy(*p.test_accuracy);
  out.set_examples_per_second(p.examples_per_second);
  out.set_wall_seconds(p.wall_seconds);
  return out;
}

MetricPoint FromProto(const v1::MetricPoint& p) {
  MetricPoint out;
  out.step = p.step();
  out.epoch = p.epoch();
  out.lr = p.lr();
  if (p.has_momentum()) out.momentum = p.momentum();
  if (p.has_train_loss()) out.train_loss = p.train_loss();
  if (p.has_val_loss()) out.val_loss = p.val_loss();
  if (p.has_val_accuracy()) out.val_accuracy = p.val_accuracy();
  if (p.has_test_accuracy()) out.test_accuracy = p.test_accuracy();
  out.examples_per_second = p.examples_per_second();
  out.wall_seconds = p.wall_seconds();
  return out;
}

std::vector<MetricPoint> FromProto(
    const google::protobuf::RepeatedPtrField<v1::MetricPoint>& points) {
  std::vector<MetricPoint> out;
  out.reserve(static_cast<size_t>(points.size()));
  for (const v1::MetricPoint& point : points) out.push_back(FromProto(point));
  return out;
}

v1::TrialInfo ToProto(const TrialRecord& t) {
  v1::TrialInfo out;
  out.set_sweep_id(t.sweep_id);
  out.set_trial(t.trial);
  out.set_config(t.config);
  out.set_seed(t.seed);
  out.set_state(ToProto(t.state));
  out.set_params_json(t.params_json);
  out.set_plan_json(t.plan_json);
  out.set_attempts(t.attempts);
  out.set_failures(t.failures);
  out.set_reason(t.reason);
  out.set_worker_id(t.worker_id);
  out.set_step(t.step);
  out.set_total_steps(t.total_steps);
  out.set_lr(t.lr);
  if (t.score) out.set_score(*t.score);
  if (t.latest_metric) out.set_latest_metric(*t.latest_metric);
  out.set_final_metrics_json(t.final_metrics_json);
  out.set_updated_unix_ms(t.updated_ms);
  out.set_preemptions(t.preemptions);
  out.set_checkpoint_step(t.checkpoint_step);
  out.set_checkpoint_error(t.checkpoint_error);
  return out;
}

TrialRecord FromProto(const v1::TrialInfo& t) {
  TrialRecord out;
  out.sweep_id = t.sweep_id();
  out.trial = t.trial();
  out.config = t.config();
  out.seed = t.seed();
  out.state = FromProto(t.state());
  out.params_json = t.params_json();
  out.plan_json = t.plan_json();
  out.attempts = t.attempts();
  out.failures = t.failures();
  out.reason = t.reason();
  out.worker_id = t.worker_id();
  out.step = t.step();
  out.total_steps = t.total_steps();
  out.lr = t.lr();
  if (t.has_score()) out.score = t.score();
  if (t.has_latest_metric()) out.latest_metric = t.latest_metric();
  out.final_metrics_json = t.final_metrics_json();
  out.updated_ms = t.updated_unix_ms();
  out.preemptions = t.preemptions();
  out.checkpoint_step = t.checkpoint_step();
  out.checkpoint_error = t.checkpoint_error();
  return out;
}

v1::SweepSummary ToProto(const SweepView& view) {
  v1::SweepSummary out;
  out.set_sweep_id(view.record.id);
  out.set_name(view.record.name);
  out.set_state(ToProto(view.record.state));
  for (const auto& [state, count] : view.counts) {
    v1::StateCount* entry = out.add_counts();
    entry->set_state(ToProto(state));
    entry->set_count(count);
  }
  out.set_total_trials(view.total_trials);
  out.set_created_unix_ms(view.record.created_ms);
  out.set_metric_name(view.record.metric_name);
  out.set_maximize(view.record.maximize);
  out.set_metric_summary(view.record.metric_summary);
  out.set_metric_last_k(view.record.metric_last_k);
  out.set_source_sha256(view.record.source_sha256);
  out.set_note(view.record.note);
  for (const std::string& tag : view.record.tags) out.add_tags(tag);
  out.set_archived_unix_ms(view.record.archived_ms);
  return out;
}

v1::SpaceFreed ToProto(const SpaceFreed& freed) {
  v1::SpaceFreed out;
  out.set_trials(freed.trials);
  out.set_metric_points(freed.metric_points);
  out.set_checkpoints(freed.checkpoints);
  out.set_checkpoint_bytes(freed.checkpoint_bytes);
  out.set_log_bytes(freed.log_bytes);
  return out;
}

v1::WorkerInfo ToProto(const WorkerView& worker) {
  v1::WorkerInfo out;
  out.set_worker_id(worker.record.id);
  out.set_name(worker.record.name);
  out.set_device(worker.record.device);
  out.set_threads(worker.record.threads);
  out.set_last_heartbeat_unix_ms(worker.record.last_heartbeat_ms);
  out.set_current_sweep_id(worker.sweep_id);
  out.set_current_trial(worker.trial);
  out.set_state(ToProto(worker.state));
  return out;
}

LeaseRef FromProto(const v1::LeaseRef& lease) {
  return {lease.worker_id(), lease.sweep_id(), lease.trial(), lease.fencing_token()};
}

v1::LeaseRef ToProto(const LeaseRef& lease) {
  v1::LeaseRef out;
  out.set_worker_id(lease.worker_id);
  out.set_sweep_id(lease.sweep_id);
  out.set_trial(lease.trial);
  out.set_fencing_token(lease.fencing_token);
  return out;
}

v1::CheckpointRef ToProto(const CheckpointRecord& checkpoint) {
  v1::CheckpointRef out;
  out.set_step(checkpoint.step);
  out.set_size(checkpoint.size);
  out.set_sha256(checkpoint.sha256);
  out.set_shared_path(checkpoint.shared_path);
  return out;
}

CheckpointRecord FromProto(const v1::CheckpointRef& checkpoint) {
  CheckpointRecord out;
  out.step = checkpoint.step();
  out.size = checkpoint.size();
  out.sha256 = checkpoint.sha256();
  out.shared_path = checkpoint.shared_path();
  return out;
}

LeaseGrant FromProto(const v1::Lease& lease) {
  LeaseGrant out{lease.sweep_id(), lease.trial(), lease.fencing_token(), lease.plan_json(), {}};
  for (const v1::CheckpointRef& checkpoint : lease.checkpoints()) {
    out.checkpoints.push_back(FromProto(checkpoint));
    out.checkpoints.back().sweep_id = lease.sweep_id();
    out.checkpoints.back().trial = lease.trial();
  }
  return out;
}

v1::Lease ToProto(const LeaseGrant& grant) {
  v1::Lease out;
  out.set_sweep_id(grant.sweep_id);
  out.set_trial(grant.trial);
  out.set_fencing_token(grant.fencing_token);
  out.set_plan_json(grant.plan_json);
  for (const CheckpointRecord& checkpoint : grant.checkpoints) {
    *out.add_checkpoints() = ToProto(checkpoint);
  }
  return out;
}

v1::Artifact ToProto(const ArtifactRef& ref) {
  v1::Artifact artifact;
  artifact.set_path(ref.path);
  artifact.set_sha256(ref.sha256);
  artifact.set_size(ref.bytes);
  artifact.set_upload(ref.upload);
  if (ref.tensors) {
    v1::TensorFileSummary* tensors = artifact.mutable_tensors();
    tensors->set_examples(ref.tensors->examples);
    for (int64_t dim : ref.tensors->input_shape) tensors->add_input_shape(dim);
    tensors->set_input_dtype(ref.tensors->input_dtype);
    for (int64_t dim : ref.tensors->target_shape) tensors->add_target_shape(dim);
    tensors->set_target_dtype(ref.tensors->target_dtype);
  }
  return artifact;
}

ArtifactRef FromProto(const v1::Artifact& artifact) {
  ArtifactRef ref;
  ref.path = artifact.path();
  ref.sha256 = artifact.sha256();
  ref.bytes = artifact.size();
  ref.upload = artifact.upload();
  if (artifact.has_tensors()) {
    const v1::TensorFileSummary& in = artifact.tensors();
    TensorFileSummary tensors;
    tensors.examples = in.examples();
    tensors.input_shape.assign(in.input_shape().begin(), in.input_shape().end());
    tensors.input_dtype = in.input_dtype();
    tensors.target_shape.assign(in.target_shape().begin(), in.target_shape().end());
    tensors.target_dtype = in.target_dtype();
    ref.tensors = tensors;
  }
  return ref;
}

}  // namespace lrsweep
