#include "coordinator/trial_events.h"

#include "absl/strings/str_cat.h"
#include "fmt/format.h"

namespace lrsweep {
namespace {

// The last of the reasons a trial's failures are joined into.
std::string LastReason(const std::string& reason) {
  const size_t last = reason.rfind("; ");
  return last == std::string::npos ? reason : reason.substr(last + 2);
}

// How an attempt that was RUNNING ended, as the row after it says; "" when it did not end.
std::string EndOf(const TrialRecord& before, const TrialRecord& after) {
  switch (after.state) {
    case TrialState::kCompleted: return "completed";
    case TrialState::kDiverged: return "diverged";
    case TrialState::kFailed: return "failed";
    case TrialState::kPreempted: return "preempted";
    case TrialState::kCancelled: return "cancelled";
    case TrialState::kStopped: return "stopped";
    case TrialState::kPending:  // a failure to be retried, or the user's retry
      return after.failures > before.failures ? "failed" : "retried";
    default: return "";
  }
}

std::string DetailOf(const std::string& kind, const TrialRecord& after) {
  if (kind == "completed") return after.score ? fmt::format("score {:.6g}", *after.score) : "";
  if (kind == "failed") {
    return absl::StrCat(LastReason(after.reason),
                        after.state == TrialState::kPending ? " (will be retried)" : "");
  }
  if (kind == "diverged" || kind == "stopped") return LastReason(after.reason);
  return "";
}

TrialEvent EventOf(const TrialRecord& row, const std::string& kind, int64_t now_ms) {
  TrialEvent event;
  event.sweep_id = row.sweep_id;
  event.trial = row.trial;
  event.ms = now_ms;
  event.attempt = row.attempts;
  event.kind = kind;
  event.step = row.step;
  return event;
}

}  // namespace

std::vector<TrialEvent> TrialEventsOf(const StoreWrite& write, const TrialTable& table,
                                      int64_t now_ms) {
  std::vector<TrialEvent> events;
  for (const TrialRecord& row : write.trials) {
    absl::StatusOr<const TrialRecord*> found = table.FindTrial(row.sweep_id, row.trial);
    if (!found.ok()) continue;  // a trial this write creates
    const TrialRecord& before = **found;
    if (row.attempts > before.attempts && row.state == TrialState::kRunning) {
      TrialEvent leased = EventOf(row, "leased", now_ms);
      leased.worker_id = row.worker_id;
      leased.step = row.checkpoint_step;
      leased.detail = row.checkpoint_step > 0
                          ? absl::StrCat("resumes from the checkpoint at step ", row.checkpoint_step)
                          : "starts from step 0";
      events.push_back(std::move(leased));
    } else if (row.state != before.state) {
      const std::string kind = EndOf(before, row);
      if (kind.empty()) continue;
      TrialEvent ended = EventOf(row, kind, now_ms);
      ended.worker_id = before.worker_id;
      ended.detail = DetailOf(kind, row);
      events.push_back(std::move(ended));
    }
    if (!row.checkpoint_error.empty() && row.checkpoint_error != before.checkpoint_error) {
      TrialEvent failed = EventOf(row, "checkpoint_failed", now_ms);
      failed.worker_id = row.worker_id;
      failed.detail = row.checkpoint_error;
      events.push_back(std::move(failed));
    }
  }
  for (const CheckpointRecord& checkpoint : write.added_checkpoints) {
    TrialEvent stored;
    stored.sweep_id = checkpoint.sweep_id;
    stored.trial = checkpoint.trial;
    stored.ms = now_ms;
    stored.attempt = checkpoint.attempt;
    stored.kind = "checkpoint";
    stored.step = checkpoint.step;
    stored.detail = fmt::format("{} bytes", checkpoint.size);
    if (absl::StatusOr<const TrialRecord*> trial =
            table.FindTrial(checkpoint.sweep_id, checkpoint.trial);
        trial.ok()) {
      stored.worker_id = (*trial)->worker_id;  // the lease's worker, which wrote it
    }
    events.push_back(std::move(stored));
  }
  return events;
}

}  // namespace lrsweep
