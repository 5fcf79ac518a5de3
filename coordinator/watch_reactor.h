// WatchSweep's server side: streams a SweepEvent for one sweep on start, then after every change
// (coalesced while a write is in flight), and finishes after the event that shows the sweep
// ended. An unknown sweep finishes at once with NOT_FOUND.
//
//   return NewWatchReactor(coordinator, request->sweep_id());  // from SweepService::WatchSweep
//
// Thread safety: the reactor deletes itself when gRPC is done with it; coordinator change
// notifications may arrive on any thread.
#ifndef LRSWEEP_COORDINATOR_WATCH_REACTOR_H_
#define LRSWEEP_COORDINATOR_WATCH_REACTOR_H_

#include <string>

#include "coordinator/coordinator.h"
#include "grpcpp/grpcpp.h"
#include "lrsweep/v1/lrsweep.pb.h"

namespace lrsweep {

// `coordinator` is not owned and must outlive the call.
grpc::ServerWriteReactor<v1::SweepEvent>* NewWatchReactor(Coordinator* coordinator,
                                                          std::string sweep_id);

}  // namespace lrsweep

#endif  // LRSWEEP_COORDINATOR_WATCH_REACTOR_H_
