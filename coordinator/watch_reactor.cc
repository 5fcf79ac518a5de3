#include "coordinator/watch_reactor.h"

#include <memory>
#include <set>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "rpc/rpc_convert.h"

namespace lrsweep {
namespace {

// Streams SweepEvents for one sweep: one on start, then one after every change (coalesced while a
// write is in flight), and finishes after the event that shows the sweep ended.
class WatchReactor final : public grpc::ServerWriteReactor<v1::SweepEvent> {
 public:
  WatchReactor(Coordinator* coordinator, std::string sweep_id)
      : coordinator_(coordinator), sweep_id_(std::move(sweep_id)), alive_(std::make_shared<Alive>(this)) {
    std::shared_ptr<Alive> alive = alive_;
    watcher_id_ = coordinator_->AddWatcher([alive] {
      absl::MutexLock lock(&alive->mu);
      if (alive->reactor != nullptr) alive->reactor->OnChange();
    });
    OnChange();
  }

  void OnWriteDone(bool ok) override {
    bool write_again = false, finish = false;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (finishing_) return;
      if (!ok || last_) {
        finishing_ = finish = true;
      } else if (dirty_) {
        writing_ = write_again = true;
        dirty_ = false;
      }
    }
    if (finish) Finish(grpc::Status::OK);
    if (write_again) WriteEvent();
  }

  void OnCancel() override {
    bool finish = false;
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
      // With a write in flight, OnWriteDone finishes; otherwise nothing else would, and a server
      // shutting down would wait for this call forever (a client killed mid-watch).
      if (!writing_ && !finishing_) finishing_ = finish = true;
    }
    if (finish) Finish(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    {
      absl::MutexLock lock(&alive_->mu);
      alive_->reactor = nullptr;
    }
    coordinator_->RemoveWatcher(watcher_id_);
    delete this;
  }

 private:
  struct Alive {
    explicit Alive(WatchReactor* reactor) : reactor(reactor) {}
    WatchReactor* reactor;
    absl::Mutex mu;
  };

  void OnChange() {
    {
      absl::MutexLock lock(&mu_);
      if (finishing_) return;
      dirty_ = true;
      if (writing_) return;
      writing_ = true;
      dirty_ = false;
    }
    WriteEvent();
  }

  void WriteEvent() {
    absl::StatusOr<SweepView> sweep = coordinator_->GetSweep(sweep_id_);
    absl::StatusOr<std::vector<TrialRecord>> trials = coordinator_->ListTrials(sweep_id_);
    if (!sweep.ok() || !trials.ok()) {
      {
        absl::MutexLock lock(&mu_);
        finishing_ = true;
        writing_ = false;
      }
      Finish(ToGrpcStatus(sweep.ok() ? trials.status() : sweep.status()));
      return;
    }
    {
      absl::MutexLock lock(&mu_);
      if (cancelled_) {
        finishing_ = true;
        writing_ = false;
      } else {
        // event_ is only touched by the one writer that set writing_.
        event_.Clear();
        *event_.mutable_sweep() = ToProto(*sweep);
        for (const TrialRecord& trial : *trials) {
          if (trial.state == TrialState::kRunning) *event_.add_running() = ToProto(trial);
          if (IsFinal(trial.state) && reported_final_.insert(trial.trial).second) {
            *event_.add_finished() = ToProto(trial);
          }
        }
        last_ = sweep->record.state != SweepState::kRunning;
      }
    }
    // Finish and StartWrite are called without mu_: their reactions take it.
    if (cancelled()) {
      Finish(grpc::Status::CANCELLED);
    } else {
      StartWrite(&event_);
    }
  }

  bool cancelled() {
    absl::MutexLock lock(&mu_);
    return cancelled_;
  }

  Coordinator* const coordinator_;
  const std::string sweep_id_;
  std::shared_ptr<Alive> alive_;
  int64_t watcher_id_ = 0;

  absl::Mutex mu_;
  v1::SweepEvent event_ ABSL_GUARDED_BY(mu_);
  std::set<int64_t> reported_final_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool dirty_ ABSL_GUARDED_BY(mu_) = false;
  bool last_ ABSL_GUARDED_BY(mu_) = false;
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

grpc::ServerWriteReactor<v1::SweepEvent>* NewWatchReactor(Coordinator* coordinator,
                                                          std::string sweep_id) {
  return new WatchReactor(coordinator, std::move(sweep_id));
}

}  // namespace lrsweep
