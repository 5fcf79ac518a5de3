#include "sweep/records.h"

namespace lrsweep {

bool IsFinal(TrialState state) {
  switch (state) {
    case TrialState::kCompleted:
    case TrialState::kDiverged:
    case TrialState::kFailed:
    case TrialState::kCancelled:
    case TrialState::kStopped:
      return true;
    default:
      return false;
  }
}

bool IsWaiting(TrialState state) {
  return state == TrialState::kPending || state == TrialState::kPreempted;
}

namespace {
constexpr std::pair<TrialState, absl::string_view> kTrialStateNames[] = {
    {TrialState::kPending, "PENDING"},     {TrialState::kRunning, "RUNNING"},
    {TrialState::kCompleted, "COMPLETED"}, {TrialState::kDiverged, "DIVERGED"},
    {TrialState::kFailed, "FAILED"},       {TrialState::kCancelled, "CANCELLED"},
    {TrialState::kPreempted, "PREEMPTED"}, {TrialState::kStopped, "STOPPED"},
};
constexpr std::pair<SweepState, absl::string_view> kSweepStateNames[] = {
    {SweepState::kRunning, "RUNNING"},
    {SweepState::kFinished, "FINISHED"},
    {SweepState::kCancelled, "CANCELLED"},
};
}  // namespace

absl::string_view TrialStateName(TrialState state) {
  for (const auto& [value, name] : kTrialStateNames) {
    if (value == state) return name;
  }
  return "UNKNOWN";
}

std::optional<TrialState> ParseTrialState(absl::string_view name) {
  for (const auto& [value, text] : kTrialStateNames) {
    if (text == name) return value;
  }
  return std::nullopt;
}

absl::string_view SweepStateName(SweepState state) {
  for (const auto& [value, name] : kSweepStateNames) {
    if (value == state) return name;
  }
  return "UNKNOWN";
}

std::optional<SweepState> ParseSweepState(absl::string_view name) {
  for (const auto& [value, text] : kSweepStateNames) {
    if (text == name) return value;
  }
  return std::nullopt;
}

std::optional<double> MetricPoint::Get(absl::string_view name) const {
  if (name == "val_accuracy") return val_accuracy;
  if (name == "val_loss") return val_loss;
  if (name == "test_accuracy") return test_accuracy;
  if (name == "train_loss") return train_loss;
  return std::nullopt;
}

}  // namespace lrsweep
