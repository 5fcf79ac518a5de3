// What the coordinator tells users' tools about a sweep and a worker: the durable record plus
// what only the live coordinator knows (state counts, whether a worker trains, waits or is lost).
//
//   for (const SweepView& sweep : coordinator->ListSweeps()) Print(sweep.record.id, sweep.counts);
//
// Thread safety: plain value types.
#ifndef LRSWEEP_SWEEP_VIEWS_H_
#define LRSWEEP_SWEEP_VIEWS_H_

#include <cstdint>
#include <map>
#include <string>

#include "sweep/records.h"

namespace lrsweep {

struct SweepView {
  SweepRecord record;
  std::map<TrialState, int64_t> counts;  // states with no trial are absent
  int64_t total_trials = 0;
};

// What archiving or deleting a sweep removed (`lrsweep archive`, `lrsweep delete`).
struct SpaceFreed {
  int64_t trials = 0;         // rows deleted (0 when archiving, which keeps them)
  int64_t metric_points = 0;  // likewise
  int64_t checkpoints = 0;    // records deleted
  int64_t checkpoint_bytes = 0;  // of the files deleted from disk
  int64_t log_bytes = 0;         // of command trials' logs deleted (deleting only)
};

enum class WorkerState {
  kTraining,  // holds a lease (its heartbeats keep it)
  kWaiting,   // long-polling for work, or between two requests
  kLost,      // silent for longer than the lease timeout
  kStopped,   // said goodbye
};

struct WorkerView {
  WorkerRecord record;
  WorkerState state = WorkerState::kLost;
  std::string sweep_id;  // of the lease it holds, if any
  int64_t trial = -1;
  int64_t step = 0;  // that trial's step and horizon
  int64_t total_steps = 0;
};

}  // namespace lrsweep

#endif  // LRSWEEP_SWEEP_VIEWS_H_
