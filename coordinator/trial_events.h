// TrialEventsOf: what a write does to its trials, as events for their timelines (a lease granted,
// an attempt's end, a retry, a checkpoint stored or not). Derived in one place from the rows a
// write carries, compared with the trials as the table has them before it, so no transition can
// forget to record one; the events are committed in the same transaction as the rows.
//
//   write.events = TrialEventsOf(write, table, now_ms);   // under the coordinator's lock
//   RETURN_IF_ERROR(store->Write(write));
//
// Thread safety: a plain function; the caller holds what guards `table`.
#ifndef LRSWEEP_COORDINATOR_TRIAL_EVENTS_H_
#define LRSWEEP_COORDINATOR_TRIAL_EVENTS_H_

#include <cstdint>
#include <vector>

#include "coordinator/store.h"
#include "coordinator/trial_table.h"
#include "sweep/records.h"

namespace lrsweep {

std::vector<TrialEvent> TrialEventsOf(const StoreWrite& write, const TrialTable& table,
                                      int64_t now_ms);

}  // namespace lrsweep

#endif  // LRSWEEP_COORDINATOR_TRIAL_EVENTS_H_
