#include "worker/trainer.h"

#include <chrono>
#include <cmath>
#include <random>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "worker/checkpoint_format.h"

namespace lrsweep {
namespace {

using Clock = std::chrono::steady_clock;

std::string ShapeText(const torch::Tensor& tensor) {
  std::ostringstream out;
  out << tensor.sizes();
  return out.str();
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

}  // namespace

Trainer::Trainer(TrialConfig config, std::shared_ptr<const DataSplits> data,
                 TrainerOptions options)
    : config_(std::move(config)),
      data_(std::move(data)),
      options_(options),
      augmenter_(config_.train.data.augment, config_.seed) {}

absl::Status Trainer::Init() {
  ASSIGN_OR_RETURN(Schedule schedule, Schedule::Create(config_.schedule, config_.horizon()));
  schedule_ = std::make_unique<Schedule>(std::move(schedule));
  torch::manual_seed(static_cast<uint64_t>(config_.seed));
  classification_ = config_.train.Classification();
  RETURN_IF_ERROR(BuildModel());
  RETURN_IF_ERROR(BuildOptimizer());
  batch_inputs_ = torch::empty({0}, data_->train.inputs.options());
  batch_targets_ = torch::empty({0}, data_->train.targets.options());
  if (augmenter_.enabled() && (data_->train.inputs.dim() != 4 ||
                               !data_->train.inputs.is_floating_point())) {
    std::ostringstream shape;
    shape << data_->train.inputs.sizes();
    return absl::InvalidArgumentError(absl::StrCat(
        "train.data.augment crops and flips images [N, C, H, W], but the training inputs are ",
        shape.str(), " of ", c10::toString(data_->train.inputs.scalar_type()),
        "; remove augment for this data"));
  }
  return ProbeOneBatch();
}

absl::Status Trainer::BuildModel() {
  if (config_.train.model.type != "torchscript") {
    std::shared_ptr<Model> model = MakeModel(config_.train.model, data_->num_classes);
    model->to(options_.device);
    model_ = WrapBuiltinModel(std::move(model));
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(model_, LoadTorchScriptModel(config_.model_file,
                                                config_.train.model.file.path, options_.device));
  if (config_.train.loss == "method" && !model_->HasLossMethod()) {
    return absl::InvalidArgumentError(absl::StrCat(
        config_.train.model.file.path, ": train.loss is method, but the module has no "
        "loss(inputs, targets); define one with @torch.jit.export, or name a loss"));
  }
  return absl::OkStatus();
}

namespace {

std::unique_ptr<torch::optim::OptimizerOptions> GroupOptions(const OptimizerSpec& opt,
                                                             double weight_decay) {
  if (opt.type == "adamw") {
    return std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions()
                                                            .betas({opt.betas[0], opt.betas[1]})
                                                            .eps(opt.eps)
                                                            .weight_decay(weight_decay));
  }
  return std::make_unique<torch::optim::SGDOptions>(torch::optim::SGDOptions(0.0)
                                                        .momentum(opt.momentum)
                                                        .nesterov(opt.nesterov)
                                                        .weight_decay(weight_decay));
}

std::string ParameterNames(const std::vector<std::pair<std::string, torch::Tensor>>& named) {
  std::vector<std::string> names;
  for (size_t i = 0; i < named.size() && i < 12; ++i) names.push_back(named[i].first);
  return absl::StrCat(absl::StrJoin(names, ", "), named.size() > 12 ? ", ..." : "");
}

}  // namespace

absl::Status Trainer::BuildOptimizer() {
  const OptimizerSpec& opt = config_.train.optimizer;
  const auto named = model_->NamedParameters();
  // Slot i for param_groups[i]; the last slot is the default group.
  std::vector<std::vector<torch::Tensor>> grouped(opt.param_groups.size() + 1);
  parameters_.clear();
  for (const auto& [name, parameter] : named) {
    parameters_.push_back(parameter);
    size_t slot = opt.param_groups.size();
    for (size_t i = 0; i < opt.param_groups.size(); ++i) {
      if (absl::StartsWith(name, opt.param_groups[i].prefix)) {
        slot = i;
        break;
      }
    }
    grouped[slot].push_back(parameter);
  }
  std::vector<torch::optim::OptimizerParamGroup> groups;
  group_lr_scales_.clear();
  if (!grouped.back().empty()) {
    groups.emplace_back(grouped.back(), GroupOptions(opt, opt.weight_decay));
    group_lr_scales_.push_back(1.0);
  }
  for (size_t i = 0; i < opt.param_groups.size(); ++i) {
    const ParamGroupSpec& spec = opt.param_groups[i];
    if (grouped[i].empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "train.optimizer.param_groups[", i, "].prefix '", spec.prefix,
          "' matches no parameter not matched before; the model's parameters: ",
          ParameterNames(named)));
    }
    groups.emplace_back(grouped[i], GroupOptions(opt, spec.weight_decay.value_or(opt.weight_decay)));
    group_lr_scales_.push_back(spec.lr_scale);
  }
  if (groups.empty()) return absl::InvalidArgumentError("the model has no trainable parameters");
  if (opt.type == "adamw") {
    optimizer_ = std::make_unique<torch::optim::AdamW>(std::move(groups));
  } else {
    optimizer_ = std::make_unique<torch::optim::SGD>(std::move(groups),
                                                     torch::optim::SGDOptions(schedule_->lr()));
  }
  ApplySchedule();
  return absl::OkStatus();
}

torch::Tensor Trainer::EpochOrder(int64_t epoch) const {
  const std::vector<int64_t> order =
      Permutation(data_->train.size(),
                  static_cast<uint64_t>(config_.seed) * 1000003ULL + static_cast<uint64_t>(epoch));
  return torch::tensor(order, torch::kInt64).to(options_.device);
}

void Trainer::ApplySchedule() {
  const double lr = schedule_->lr();
  const std::optional<double> momentum = schedule_->momentum();
  std::vector<torch::optim::OptimizerParamGroup>& groups = optimizer_->param_groups();
  for (size_t g = 0; g < groups.size(); ++g) {
    torch::optim::OptimizerParamGroup& group = groups[g];
    const double group_lr = lr * group_lr_scales_[g];
    if (config_.train.optimizer.type == "adamw") {
      auto& options = static_cast<torch::optim::AdamWOptions&>(group.options());
      options.lr(group_lr);
      if (momentum) options.betas({*momentum, std::get<1>(options.betas())});
    } else {
      auto& options = static_cast<torch::optim::SGDOptions&>(group.options());
      options.lr(group_lr);
      if (momentum) options.momentum(*momentum);
    }
  }
}

std::vector<double> Trainer::GroupLrs() const {
  std::vector<double> lrs;
  for (const torch::optim::OptimizerParamGroup& group : optimizer_->param_groups()) {
    lrs.push_back(group.options().get_lr());
  }
  return lrs;
}

double Trainer::OptimizerStep(const torch::Tensor& order, int64_t begin, int64_t end) {
  const int64_t batch = config_.train.batch_size;
  optimizer_->zero_grad();
  double loss_sum = 0;
  for (int64_t start = begin; start < end; start += batch) {
    const int64_t stop = std::min(end, start + batch);
    const torch::Tensor index = order.slice(0, start, stop);
    // Gathered into buffers kept across steps: no allocation per step. The previous batch's
    // backward pass, which saved these tensors, is over.
    torch::index_select_out(batch_inputs_, data_->train.inputs, 0, index);
    torch::index_select_out(batch_targets_, data_->train.targets, 0, index);
    augmenter_.Apply(step_, (start - begin) / batch, &batch_inputs_);
    // Summed and divided by the whole step's examples: accumulation equals one big batch.
    torch::Tensor loss =
        SummedLoss(batch_inputs_, batch_targets_) / static_cast<double>(end - begin);
    loss.backward();
    loss_sum += loss.item<double>();
  }
  if (config_.train.clip_grad_norm) {
    torch::nn::utils::clip_grad_norm_(parameters_, *config_.train.clip_grad_norm);
  }
  ApplySchedule();
  optimizer_->step();
  return loss_sum;
}

torch::Tensor Trainer::SummedLoss(const torch::Tensor& inputs, const torch::Tensor& targets,
                                  torch::Tensor* output) {
  namespace F = torch::nn::functional;
  const std::string& loss = config_.train.loss;
  const int64_t n = inputs.size(0);
  if (loss == "method") return model_->LossMethod(inputs, targets) * static_cast<double>(n);
  torch::Tensor out = model_->Forward(inputs);
  if (output != nullptr) *output = out;
  if (loss == "cross_entropy") {
    return F::cross_entropy(out, targets, F::CrossEntropyFuncOptions().reduction(torch::kSum));
  }
  if (out.sizes() != targets.sizes()) {  // mse would broadcast [N, 1] against [N] silently
    std::ostringstream message;
    message << "the model's output " << out.sizes() << " does not fit loss " << loss
            << ", which needs the targets' shape " << targets.sizes();
    throw std::invalid_argument(message.str());
  }
  const double elements = static_cast<double>(out.numel()) / static_cast<double>(n);
  const torch::Tensor typed = targets.to(out.scalar_type());
  if (loss == "mse") return F::mse_loss(out, typed, F::MSELossFuncOptions(torch::kSum)) / elements;
  return F::binary_cross_entropy_with_logits(
             out, typed, F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kSum)) /
         elements;
}

absl::Status Trainer::ProbeOneBatch() {
  const std::string model = config_.train.model.type == "torchscript"
                                ? config_.train.model.file.path
                                : config_.train.model.type;
  const std::string data =
      config_.train.data.train_file ? config_.train.data.train_file->path : config_.train.data.type;
  try {
    torch::NoGradGuard no_grad;
    model_->SetTraining(false);
    const int64_t n = std::min<int64_t>(2, data_->train.size());
    const torch::Tensor inputs = data_->train.inputs.slice(0, 0, n);
    const torch::Tensor targets = data_->train.targets.slice(0, 0, n);
    torch::Tensor output;
    const torch::Tensor loss = SummedLoss(inputs, targets, &output);
    if (loss.numel() != 1) throw std::invalid_argument("the loss is not a scalar");
    if (classification_ && config_.train.loss == "cross_entropy" &&
        (output.dim() != 2 || data_->train.targets.max().item<int64_t>() >= output.size(1))) {
      throw std::invalid_argument(absl::StrCat(
          "cross_entropy needs an output [batch, classes] covering every class index in the "
          "targets (largest: ", data_->train.targets.max().item<int64_t>(), ")"));
    }
    model_->SetTraining(true);
  } catch (const std::exception& e) {
    const std::string what = e.what();
    return absl::InvalidArgumentError(absl::StrCat(
        "model ", model, " failed on one batch of ", data, " ('inputs' ",
        ShapeText(data_->train.inputs), ", 'targets' ", ShapeText(data_->train.targets),
        ", loss ", config_.train.loss, "): ", what.substr(0, what.find('\n'))));
  }
  return absl::OkStatus();
}

Evaluation Trainer::Evaluate(const Dataset& data) {
  // Inference mode: no autograd bookkeeping at all (no version counters, no views tracked).
  c10::InferenceMode inference;
  model_->SetTraining(false);
  double loss = 0;
  int64_t correct = 0;
  for (int64_t start = 0; start < data.size(); start += options_.eval_batch_size) {
    const int64_t stop = std::min(data.size(), start + options_.eval_batch_size);
    const torch::Tensor inputs = data.inputs.slice(0, start, stop);
    const torch::Tensor targets = data.targets.slice(0, start, stop);
    torch::Tensor output;
    loss += SummedLoss(inputs, targets, &output).item<double>();
    if (!classification_) continue;
    if (!output.defined()) output = model_->Forward(inputs);  // loss: method
    correct += output.argmax(1).eq(targets).sum().item<int64_t>();
  }
  model_->SetTraining(true);
  const double n = static_cast<double>(std::max<int64_t>(1, data.size()));
  Evaluation evaluation{loss / n, std::nullopt};
  if (classification_) evaluation.accuracy = static_cast<double>(correct) / n;
  return evaluation;
}

bool Trainer::IsPlateauByStep() const {
  return schedule_->spec().type == ScheduleType::kPlateau &&
         schedule_->spec().unit == ScheduleUnit::kStep;
}

void Trainer::FeedPlateauAtEpochEnd(const Evaluation& eval) {
  if (schedule_->spec().type != ScheduleType::kPlateau || IsPlateauByStep()) return;
  schedule_->ObserveMetric(schedule_->spec().mode == PlateauMode::kMin || !eval.accuracy
                               ? eval.loss
                               : *eval.accuracy);
}

double Trainer::WallSeconds() const { return wall_offset_ + Seconds(train_started_); }

absl::StatusOr<TrainOutcome> Trainer::Train(TrainingObserver* observer) {
  try {
    return TrainLoop(observer);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("trial ", config_.trial, ": LibTorch failed at step ",
                                            step_, ": ", e.what()));
  }
}

absl::StatusOr<std::string> Trainer::Checkpoint(int64_t fencing_token) {
  try {
    nlohmann::json header;
    header["trial"] = config_.trial;
    header["seed"] = config_.seed;
    header["fencing_token"] = fencing_token;
    header["step"] = step_;
    header["epoch"] = epoch_;
    header["position"] = position_;
    header["total_steps"] = config_.total_steps;
    if (first_loss_) header["first_loss"] = *first_loss_;
    header["wall_seconds"] = WallSeconds();
    header["schedule"] = ScheduleStateToJson(schedule_->SaveState());
    header["device"] = options_.device.str();
    torch::serialize::OutputArchive archive, model_archive, optimizer_archive;
    model_->Save(model_archive);
    optimizer_->save(optimizer_archive);
    archive.write("model", model_archive);
    archive.write("optimizer", optimizer_archive);
    archive.write("rng_cpu", at::detail::getDefaultCPUGenerator().get_state());
    if (options_.device.is_cuda()) {
      archive.write("rng_device",
                    at::globalContext().defaultGenerator(options_.device).get_state());
    }
    // Serialized straight into the checkpoint's bytes, sized like the previous checkpoint.
    CheckpointBuilder builder(header.dump(), last_checkpoint_size_ + 4096);
    archive.save_to(builder.PayloadWriter());
    std::string bytes = std::move(builder).Finish();
    last_checkpoint_size_ = bytes.size();
    return bytes;
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("trial ", config_.trial, ": checkpoint at step ",
                                            step_, " failed: ", e.what()));
  }
}

absl::Status Trainer::Restore(const std::string& bytes) {
  ASSIGN_OR_RETURN(DecodedCheckpoint decoded, DecodeCheckpoint(bytes));
  const nlohmann::json& header = decoded.header;
  try {
    if (header.at("trial").get<int64_t>() != config_.trial ||
        header.at("seed").get<int64_t>() != config_.seed ||
        header.at("total_steps").get<int64_t>() != config_.total_steps) {
      return absl::FailedPreconditionError(
          absl::StrCat("checkpoint belongs to trial ", header.at("trial").dump(), " seed ",
                       header.at("seed").dump(), ", not trial ", config_.trial));
    }
    ASSIGN_OR_RETURN(ScheduleState schedule_state, ScheduleStateFromJson(header.at("schedule")));
    torch::serialize::InputArchive archive, model_archive, optimizer_archive;
    archive.load_from(decoded.payload.data(), decoded.payload.size(), options_.device);
    archive.read("model", model_archive);
    archive.read("optimizer", optimizer_archive);
    model_->Load(model_archive);
    optimizer_->load(optimizer_archive);
    torch::Tensor rng;
    archive.read("rng_cpu", rng);
    at::Generator cpu_generator = at::detail::getDefaultCPUGenerator();
    cpu_generator.set_state(rng.cpu());
    if (options_.device.is_cuda()) {
      torch::Tensor device_rng;
      if (archive.try_read("rng_device", device_rng)) {
        at::Generator device_generator = at::globalContext().defaultGenerator(options_.device);
        device_generator.set_state(device_rng.cpu());
      }
    }
    RETURN_IF_ERROR(schedule_->RestoreState(schedule_state));
    step_ = header.at("step").get<int64_t>();
    epoch_ = header.at("epoch").get<int64_t>();
    position_ = header.at("position").get<int64_t>();
    first_loss_.reset();
    if (header.contains("first_loss")) first_loss_ = header.at("first_loss").get<double>();
    wall_offset_ = header.value("wall_seconds", 0.0);
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat("checkpoint cannot be loaded: ", e.what()));
  }
  return absl::OkStatus();
}

absl::StatusOr<TrainOutcome> Trainer::TrainLoop(TrainingObserver* observer) {
  model_->SetTraining(true);
  const int64_t examples = data_->train.size();
  train_started_ = Clock::now();
  last_point_ = train_started_;
  TrainOutcome outcome;
  while (step_ < config_.total_steps) {
    const torch::Tensor order = EpochOrder(epoch_);
    while (position_ < examples && step_ < config_.total_steps) {
      const StopRequest stop = observer->ShouldStop();
      if (stop == StopRequest::kStop) return absl::CancelledError("stopped by the coordinator");
      if (stop == StopRequest::kPreempt) {
        ASSIGN_OR_RETURN(std::string bytes, Checkpoint(current_fencing_token_));
        observer->OnCheckpoint(step_, std::move(bytes));
        return absl::AbortedError(absl::StrCat("preempted at step ", step_));
      }
      const bool epoch_ends = TrainStep(order, observer, &outcome);
      if (outcome.diverged) return outcome;
      if (epoch_ends) {
        ++epoch_;
        position_ = 0;
      }
      if (step_ < config_.total_steps && observer->CheckpointDue(step_)) {
        ASSIGN_OR_RETURN(std::string bytes, Checkpoint(current_fencing_token_));
        observer->OnCheckpoint(step_, std::move(bytes));
      }
      if (epoch_ends) break;
    }
  }
  return outcome;
}

bool Trainer::TrainStep(const torch::Tensor& order, TrainingObserver* observer,
                        TrainOutcome* outcome) {
  const int64_t examples = data_->train.size();
  const int64_t begin = position_;
  const int64_t end =
      std::min(examples, begin + config_.train.batch_size * config_.train.accumulate);
  MetricPoint point;
  point.step = step_;
  point.epoch = epoch_;
  point.lr = schedule_->lr();
  point.momentum = schedule_->momentum();
  const double loss = OptimizerStep(order, begin, end);
  point.train_loss = loss;
  point.examples_per_second =
      static_cast<double>(end - begin) / std::max(1e-9, Seconds(last_point_));
  last_point_ = Clock::now();
  if (!first_loss_) first_loss_ = loss;
  if (!std::isfinite(loss) || loss > options_.divergence_factor * *first_loss_) {
    point.wall_seconds = WallSeconds();
    observer->OnPoint(point);
    outcome->diverged = true;
    outcome->reason = DivergenceReason(point.lr, loss);
    outcome->last = point;
    return false;
  }
  if (IsPlateauByStep()) schedule_->ObserveMetric(loss);
  schedule_->Step();
  ++step_;
  position_ = end;
  const bool epoch_ends = end == examples;
  EvaluateAfterStep(epoch_ends, &point);
  point.wall_seconds = WallSeconds();
  observer->OnPoint(point);
  outcome->last = point;
  return epoch_ends;
}

std::string Trainer::DivergenceReason(double lr, double loss) const {
  if (!std::isfinite(loss)) {
    return fmt::format("diverged at step {} (lr {:.4g}): loss is {}", step_, lr, loss);
  }
  return fmt::format("diverged at step {} (lr {:.4g}): loss {:.4g} exceeded {:g}x its first "
                     "value {:.4g}",
                     step_, lr, loss, options_.divergence_factor, *first_loss_);
}

void Trainer::EvaluateAfterStep(bool epoch_ends, MetricPoint* point) {
  const TrainSpec& train = config_.train;
  const bool periodic = train.eval_every_steps && step_ % *train.eval_every_steps == 0;
  bool evaluated = false;
  const bool has_val = data_->val.size() > 0;
  if (has_val &&
      ((periodic || (epoch_ends && !train.eval_every_steps)) || step_ == config_.total_steps)) {
    const Evaluation eval = Evaluate(data_->val);
    point->val_loss = eval.loss;
    point->val_accuracy = eval.accuracy;
    evaluated = true;
    if (epoch_ends) FeedPlateauAtEpochEnd(eval);
  }
  if (has_val && epoch_ends && !evaluated && schedule_->spec().type == ScheduleType::kPlateau &&
      !IsPlateauByStep()) {
    FeedPlateauAtEpochEnd(Evaluate(data_->val));
  }
  if (step_ == config_.total_steps && train.test && data_->test.size() > 0) {
    point->test_accuracy = Evaluate(data_->test).accuracy;
  }
}

}  // namespace lrsweep
