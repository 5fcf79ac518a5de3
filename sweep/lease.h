// The lease a worker holds on a trial, as the coordinator, the rpc layer and the worker all speak
// of it: who holds it, what it grants, and what the coordinator answers to its reports.
//
//   LeaseRef lease{worker_id, grant.sweep_id, grant.trial, grant.fencing_token};
//   if (directive == Directive::kStop) ...;   // the trial was cancelled
//
// Thread safety: plain value types.
#ifndef LRSWEEP_SWEEP_LEASE_H_
#define LRSWEEP_SWEEP_LEASE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "sweep/records.h"

namespace lrsweep {

// Names the lease a report belongs to. The fencing token is the trial's attempt number when the
// lease was granted: a report with an older one is refused.
struct LeaseRef {
  std::string worker_id;
  std::string sweep_id;
  int64_t trial = 0;
  int64_t fencing_token = 0;
};

// What the coordinator tells a worker about its lease.
enum class Directive {
  kContinue,
  kStop,     // the trial was cancelled: stop without reporting a result
  kPreempt,  // checkpoint and give the trial back
};

// A lease as granted: the trial's plan and the checkpoints it may resume from.
struct LeaseGrant {
  std::string sweep_id;
  int64_t trial = 0;
  int64_t fencing_token = 0;
  std::string plan_json;
  std::vector<CheckpointRecord> checkpoints;  // committed checkpoints, newest first
};

// A checkpoint a worker wrote into the shared checkpoint directory itself.
struct SharedCheckpoint {
  int64_t step = 0;
  std::string shared_path;  // relative to the shared directory
  std::string sha256_hex;
  int64_t size = 0;
};

// The coordinator's answer to a registered shared checkpoint.
struct RegisteredCheckpoint {
  bool verified = false;  // the coordinator read the file and checked its size and digest
  // The trial's committed checkpoints in the shared directory, relative to it: every other
  // checkpoint file of the trial there is garbage.
  std::vector<std::string> kept_shared_paths;
};

}  // namespace lrsweep

#endif  // LRSWEEP_SWEEP_LEASE_H_
