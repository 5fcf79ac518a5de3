// The Coordinator's transitions and lease dispatch: how a change is planned, persisted and
// applied, and how workers asking for work are served. (The rest of the class is in
// coordinator.cc and coordinator_checkpoints.cc.)
//
// Serving workers is batched: a worker that needs the table changed to get work (a trial is
// waiting, or it must give back a lease it abandoned) parks as a waiter and asks for a dispatch.
// Whoever holds commit_mu_ serves every parked waiter before releasing it — all grants of a
// round in one write — so a worker never queues behind other workers' fsyncs one by one. If
// nobody holds it, the asking worker takes it and serves itself (and whoever else is parked).
#include <algorithm>
#include <iterator>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "coordinator/coordinator.h"
#include "coordinator/trial_events.h"

namespace lrsweep {
namespace {

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

}  // namespace

// --- Transitions: plan under mu_, persist without it, apply under it ---

absl::Status Coordinator::Transition(const Plan& plan) {
  QueuedTransition mine{&plan, absl::OkStatus()};
  {
    absl::MutexLock lock(&mu_);
    queued_.push_back(&mine);
  }
  Deferred deferred;
  BeginCommit();
  // The holder of commit_mu_ before this thread may have committed this transition with its own.
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (mine.done) break;
    }
    CommitQueued(&deferred);
  }
  EndCommit(&deferred);
  RunDeferred(deferred);
  absl::MutexLock lock(&mu_);
  return mine.result;
}

void Coordinator::CommitQueued(Deferred* deferred) {
  std::vector<QueuedTransition*> batch;
  StoreWrite merged;
  {
    absl::MutexLock lock(&mu_);
    PlanBatch(&batch, &merged);
  }
  // Durable before anything is applied or answered; the lock is free meanwhile.
  const absl::Status persisted = merged.empty() ? absl::OkStatus() : store_->Write(merged);
  absl::MutexLock lock(&mu_);
  if (persisted.ok() && !merged.empty()) {
    table_.Apply(merged, absl::Now());
    FeedSearchMethods(merged);
    NotifyWatchers(deferred);
  }
  for (QueuedTransition* queued : batch) {
    if (queued->result.ok()) queued->result = persisted;
    queued->done = true;
  }
}

namespace {

void AppendWrite(StoreWrite write, StoreWrite& into) {
  auto move_all = [](auto& from, auto& to) {
    to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
  };
  move_all(write.trials, into.trials);
  move_all(write.metrics, into.metrics);
  move_all(write.sweep_states, into.sweep_states);
  move_all(write.added_checkpoints, into.added_checkpoints);
  move_all(write.deleted_checkpoints, into.deleted_checkpoints);
}

using TrialKey = std::pair<std::string, int64_t>;

// The trials a write changes: its rows and its metric appends.
std::vector<TrialKey> TrialsOf(const StoreWrite& write) {
  std::vector<TrialKey> keys;
  for (const TrialRecord& row : write.trials) keys.emplace_back(row.sweep_id, row.trial);
  for (const MetricAppend& append : write.metrics) keys.emplace_back(append.sweep_id, append.trial);
  return keys;
}

}  // namespace

void Coordinator::PlanBatch(std::vector<QueuedTransition*>* batch, StoreWrite* merged) {
  std::set<TrialKey> touched;
  size_t taken = 0;
  for (; taken < queued_.size(); ++taken) {
    QueuedTransition* queued = queued_[taken];
    absl::StatusOr<StoreWrite> write = (*queued->plan)(table_);
    if (!write.ok()) {
      queued->result = write.status();
      batch->push_back(queued);
      continue;
    }
    // Planned on the table as it is, so it must not depend on an earlier plan of this batch:
    // one that touches the same trial is planned again in the next batch, after that one.
    const std::vector<TrialKey> trials = TrialsOf(*write);
    if (std::any_of(trials.begin(), trials.end(),
                    [&](const TrialKey& key) { return touched.count(key) > 0; })) {
      break;
    }
    touched.insert(trials.begin(), trials.end());
    AppendWrite(*std::move(write), *merged);
    batch->push_back(queued);
  }
  queued_.erase(queued_.begin(), queued_.begin() + static_cast<std::ptrdiff_t>(taken));
  // The trials the endings of the batch make the search methods add, with them.
  AddSearchTrials(*merged);
  // Each plan saw the others' trials unfinished: the last trials of a sweep finishing in one
  // batch end it here.
  table_.AddSweepEnds(*merged);
  merged->events = TrialEventsOf(*merged, table_, NowMs());
}

absl::Status Coordinator::PersistAndApply(StoreWrite write, Deferred* deferred) {
  if (write.empty()) return absl::OkStatus();
  {
    absl::MutexLock lock(&mu_);  // commit_mu_ keeps the table as it is until this write applies
    write.events = TrialEventsOf(write, table_, NowMs());
  }
  RETURN_IF_ERROR(store_->Write(write));
  absl::MutexLock lock(&mu_);
  table_.Apply(write, absl::Now());
  FeedSearchMethods(write);
  NotifyWatchers(deferred);
  return absl::OkStatus();
}

void Coordinator::BeginCommit() { commit_mu_.Lock(); }

void Coordinator::EndCommit(Deferred* deferred) {
  ServeWaiters(deferred);
  commit_mu_.Unlock();
  // A worker that asked while this thread held commit_mu_, after it served the waiters, found
  // the lock taken: serve it now.
  ServeIfRequested(deferred);
}

void Coordinator::ServeIfRequested(Deferred* deferred) {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (!dispatch_requested_) return;
    }
    // Held by another thread: it serves the request when it ends its commit.
    if (!commit_mu_.TryLock()) return;
    ServeWaiters(deferred);
    commit_mu_.Unlock();
  }
}

void Coordinator::ServeWaiters(Deferred* deferred) {
  StoreWrite released;
  {
    absl::MutexLock lock(&mu_);
    dispatch_requested_ = false;
    for (Waiter& waiter : waiters_) {
      if (!waiter.release_first) continue;
      waiter.release_first = false;
      StoreWrite mine = table_.ReleaseAbandoned(waiter.worker_id, NowMs());
      released.trials.insert(released.trials.end(), mine.trials.begin(), mine.trials.end());
    }
  }
  // A release that cannot be persisted is retried when the lease expires.
  PersistAndApply(std::move(released), deferred).IgnoreError();
  DispatchToWaiters(deferred);
  absl::MutexLock lock(&mu_);
  // Workers that asked without waiting, and got nothing.
  auto unserved = std::stable_partition(waiters_.begin(), waiters_.end(),
                                        [](const Waiter& w) { return !w.poll_only; });
  for (auto it = unserved; it != waiters_.end(); ++it) {
    deferred->push_back([done = std::move(it->done)] { done(std::optional<LeaseGrant>()); });
  }
  waiters_.erase(unserved, waiters_.end());
}

void Coordinator::DispatchToWaiters(Deferred* deferred) {
  while (true) {
    std::vector<Waiter> served;
    StoreWrite grants;
    {
      absl::MutexLock lock(&mu_);
      if (waiters_.empty() || !table_.HasWaitingTrials()) return;
      std::vector<WorkRequest> requests;
      for (const Waiter& waiter : waiters_) requests.push_back({waiter.worker_id, waiter.sweep_id});
      std::vector<size_t> indexes;
      grants = table_.Grant(requests, NowMs(), &indexes);
      if (grants.trials.empty()) return;  // none of the waiting trials is for a parked worker
      std::vector<Waiter> unserved;
      size_t next = 0;
      for (size_t i = 0; i < waiters_.size(); ++i) {
        const bool is_served = next < indexes.size() && indexes[next] == i;
        (is_served ? served : unserved).push_back(std::move(waiters_[i]));
        next += is_served ? 1 : 0;
      }
      waiters_ = std::move(unserved);
    }
    AnswerWithGrants(grants, std::move(served), deferred);
  }
}

void Coordinator::AnswerWithGrants(const StoreWrite& grants, std::vector<Waiter> waiters,
                                   Deferred* deferred) {
  const absl::Status persisted = PersistAndApply(grants, deferred);
  for (size_t i = 0; i < waiters.size(); ++i) {
    absl::StatusOr<std::optional<LeaseGrant>> answer =
        persisted.ok() ? absl::StatusOr<std::optional<LeaseGrant>>(GrantOf(grants.trials[i]))
                       : persisted;
    deferred->push_back([done = std::move(waiters[i].done), answer = std::move(answer)]() mutable {
      done(std::move(answer));
    });
  }
}

LeaseGrant Coordinator::GrantOf(const TrialRecord& granted) {
  LeaseGrant grant{granted.sweep_id, granted.trial, granted.attempts, granted.plan_json, {}};
  if (granted.checkpoint_step == 0) return grant;  // never checkpointed: nothing to read
  // Only the lease just granted adds checkpoints to this trial, and its worker does not have it
  // yet: this read outside the lock sees them all.
  absl::StatusOr<std::vector<CheckpointRecord>> checkpoints =
      store_->ListCheckpoints(granted.sweep_id, granted.trial);
  if (checkpoints.ok()) grant.checkpoints = *std::move(checkpoints);
  return grant;
}

// --- Workers asking for work ---

void Coordinator::AcquireLease(const std::string& worker_id, absl::Duration wait,
                               LeaseCallback done, const std::string& sweep_id) {
  {
    absl::ReleasableMutexLock lock(&mu_);
    if (!table_.HasWorker(worker_id)) {
      lock.Release();
      done(absl::NotFoundError(absl::StrCat("unknown worker '", worker_id, "'; register first")));
      return;
    }
    table_.Touch(worker_id, NowMs());
    const bool holds_lease = table_.HoldsLease(worker_id);
    const bool poll_only = wait <= absl::ZeroDuration() || stopping_;
    const bool work_waits = table_.HasWaitingTrials(sweep_id);
    if (!holds_lease && !work_waits && poll_only) {
      lock.Release();
      done(std::optional<LeaseGrant>());
      return;
    }
    waiters_.push_back({worker_id, absl::Now() + std::min(wait, options_.max_lease_wait),
                        std::move(done), holds_lease, poll_only, sweep_id});
    // The common case of an idle worker: nothing to grant, nothing to give back. It stays
    // parked without waiting for transitions in flight; the next one that makes a trial wait
    // serves it.
    if (!holds_lease && !work_waits) return;
    dispatch_requested_ = true;
  }
  Deferred deferred;
  ServeIfRequested(&deferred);
  RunDeferred(deferred);
}

void Coordinator::ExpireWaiters(absl::Time now, Deferred* deferred) {
  auto expired = std::stable_partition(waiters_.begin(), waiters_.end(),
                                       [now](const Waiter& w) { return w.deadline > now; });
  for (auto it = expired; it != waiters_.end(); ++it) {
    deferred->push_back([done = std::move(it->done)] { done(std::optional<LeaseGrant>()); });
  }
  waiters_.erase(expired, waiters_.end());
}

}  // namespace lrsweep
