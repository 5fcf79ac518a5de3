// A version number that goes up on every change, and a wait for it to pass a version: what the
// dashboard's long-poll (`GET /api/v1/changes?since=N`) answers from, so a page learns of a
// finished trial as soon as the coordinator made it durable, without polling.
//
//   ChangeCounter changes;
//   changes.Bump();                                            // on every coordinator change
//   int64_t now = changes.WaitNewer(seen, absl::Seconds(20));  // > seen, or seen at the deadline
//
// Thread safety: thread-safe.
#ifndef LRSWEEP_DASHBOARD_CHANGE_COUNTER_H_
#define LRSWEEP_DASHBOARD_CHANGE_COUNTER_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace lrsweep {

class ChangeCounter {
 public:
  void Bump() ABSL_LOCKS_EXCLUDED(mu_);
  int64_t version() const ABSL_LOCKS_EXCLUDED(mu_);
  // Returns the version once it is greater than `seen`, or the current one after `wait`, or at
  // once after Close().
  int64_t WaitNewer(int64_t seen, absl::Duration wait) const ABSL_LOCKS_EXCLUDED(mu_);
  // Ends every wait now and later (the server is stopping).
  void Close() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  int64_t version_ ABSL_GUARDED_BY(mu_) = 1;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace lrsweep

#endif  // LRSWEEP_DASHBOARD_CHANGE_COUNTER_H_
