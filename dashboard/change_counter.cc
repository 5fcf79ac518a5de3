#include "dashboard/change_counter.h"

namespace lrsweep {

void ChangeCounter::Bump() {
  absl::MutexLock lock(&mu_);
  ++version_;
}

int64_t ChangeCounter::version() const {
  absl::MutexLock lock(&mu_);
  return version_;
}

int64_t ChangeCounter::WaitNewer(int64_t seen, absl::Duration wait) const {
  absl::MutexLock lock(&mu_);
  auto newer = [this, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return version_ > seen || closed_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&newer), wait);
  return version_;
}

void ChangeCounter::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

}  // namespace lrsweep
