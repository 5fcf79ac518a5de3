// The columns of a trial: one table, in order, naming each TrialRecord field and its type, so
// that the store's schema, the binding of a row and its reading are generated rather than
// written out field by field (and cannot disagree about a position).
//
// Adding a field to TrialRecord is adding it here (and to lrsweep.v1.TrialInfo with its two
// conversion lines); a database without the column gets it on open.
//
//   for (const TrialColumn& column : TrialColumns()) {
//     std::visit([&](auto member) { Use(column.name, trial.*member); }, column.member);
//   }
//
// Thread safety: immutable data.
#ifndef LRSWEEP_SWEEP_TRIAL_COLUMNS_H_
#define LRSWEEP_SWEEP_TRIAL_COLUMNS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "sweep/records.h"

namespace lrsweep {

struct TrialColumn {
  const char* name;
  std::variant<int64_t TrialRecord::*, double TrialRecord::*, std::string TrialRecord::*,
               std::optional<double> TrialRecord::*, TrialState TrialRecord::*>
      member;
};

// Every column, in the order of the store's schema.
const std::vector<TrialColumn>& TrialColumns();

}  // namespace lrsweep

#endif  // LRSWEEP_SWEEP_TRIAL_COLUMNS_H_
