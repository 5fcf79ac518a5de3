// Sweep labels and sweep filters: what people write on a sweep (a note, tags) and how they find
// it again among many (`lrsweep status --tag baseline --state finished`, the dashboard's sweeps
// page). Labels describe a sweep; they never change what it runs.
//
//   SweepLabelChange change;
//   change.note = "bs 256 after the data-loader fix";
//   change.add_tags = {"baseline"};
//   RETURN_IF_ERROR(ApplyLabelChange(change, &record));   // INVALID_ARGUMENT names a bad tag
//
//   ASSIGN_OR_RETURN(SweepFilter filter, MakeSweepFilter({"baseline"}, "finished", "", false));
//   for (const SweepView& sweep : sweeps) if (filter.Matches(sweep)) Print(sweep);
//
// Thread safety: plain functions and value types.
#ifndef LRSWEEP_SWEEP_SWEEP_LABELS_H_
#define LRSWEEP_SWEEP_SWEEP_LABELS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sweep/records.h"
#include "sweep/views.h"

namespace lrsweep {

inline constexpr size_t kMaxTagLength = 40;
inline constexpr size_t kMaxTagsPerSweep = 20;
inline constexpr size_t kMaxNoteBytes = 4000;

// A tag is 1 to 40 letters, digits and `-_.:/`, so it is safe in a URL, a shell and a CSV cell.
// INVALID_ARGUMENT saying which character is not allowed.
absl::Status ValidateTag(absl::string_view tag);

struct SweepLabelChange {
  std::optional<std::string> note;  // replaces the note when set ("" clears it)
  std::vector<std::string> add_tags;
  std::vector<std::string> remove_tags;  // removing a tag the sweep lacks is not an error
};

// Applies `change` to the record's note and tags (sorted, distinct). INVALID_ARGUMENT for an
// invalid tag, a note over kMaxNoteBytes, or more than kMaxTagsPerSweep tags; the record is then
// unchanged.
absl::Status ApplyLabelChange(const SweepLabelChange& change, SweepRecord* record);

// Which sweeps a listing shows. Archived sweeps are left out unless asked for.
struct SweepFilter {
  std::vector<std::string> tags;     // a sweep must have all of them
  std::optional<SweepState> state;
  std::string name_contains;         // case-insensitive, in the name or the id
  bool include_archived = false;

  bool Matches(const SweepView& sweep) const;
};

// INVALID_ARGUMENT for an invalid tag or an unknown state (`running`, `finished`, `cancelled`,
// any case; "" for any).
absl::StatusOr<SweepFilter> MakeSweepFilter(std::vector<std::string> tags,
                                            absl::string_view state,
                                            std::string name_contains, bool include_archived);

}  // namespace lrsweep

#endif  // LRSWEEP_SWEEP_SWEEP_LABELS_H_
