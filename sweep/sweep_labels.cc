#include "sweep/sweep_labels.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace lrsweep {
namespace {

bool IsTagCharacter(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
         c == '.' || c == ':' || c == '/';
}

bool ContainsIgnoringCase(absl::string_view text, absl::string_view part) {
  return absl::StrContains(absl::AsciiStrToLower(text), absl::AsciiStrToLower(part));
}

}  // namespace

absl::Status ValidateTag(absl::string_view tag) {
  if (tag.empty() || tag.size() > kMaxTagLength) {
    return absl::InvalidArgumentError(absl::StrCat("tag '", tag, "' must have 1 to ",
                                                   kMaxTagLength, " characters"));
  }
  for (char c : tag) {
    if (!IsTagCharacter(c)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tag '", tag, "' has '", std::string(1, c),
          "'; a tag is letters, digits and - _ . : / (write longer words in the note)"));
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyLabelChange(const SweepLabelChange& change, SweepRecord* record) {
  for (const std::string& tag : change.add_tags) {
    if (absl::Status valid = ValidateTag(tag); !valid.ok()) return valid;
  }
  if (change.note && change.note->size() > kMaxNoteBytes) {
    return absl::InvalidArgumentError(absl::StrCat("the note has ", change.note->size(),
                                                   " bytes; at most ", kMaxNoteBytes,
                                                   " are kept (link to a longer text instead)"));
  }
  std::vector<std::string> tags = record->tags;
  tags.insert(tags.end(), change.add_tags.begin(), change.add_tags.end());
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  tags.erase(std::remove_if(tags.begin(), tags.end(),
                            [&](const std::string& tag) {
                              return std::find(change.remove_tags.begin(),
                                               change.remove_tags.end(),
                                               tag) != change.remove_tags.end();
                            }),
             tags.end());
  if (tags.size() > kMaxTagsPerSweep) {
    return absl::InvalidArgumentError(absl::StrCat("a sweep has at most ", kMaxTagsPerSweep,
                                                   " tags; this change would give it ",
                                                   tags.size(), " (remove some with --untag)"));
  }
  record->tags = std::move(tags);
  if (change.note) record->note = *change.note;
  return absl::OkStatus();
}

bool SweepFilter::Matches(const SweepView& sweep) const {
  const SweepRecord& record = sweep.record;
  if (record.archived_ms > 0 && !include_archived) return false;
  if (state && record.state != *state) return false;
  for (const std::string& tag : tags) {
    if (std::find(record.tags.begin(), record.tags.end(), tag) == record.tags.end()) return false;
  }
  return name_contains.empty() || ContainsIgnoringCase(record.name, name_contains) ||
         ContainsIgnoringCase(record.id, name_contains);
}

absl::StatusOr<SweepFilter> MakeSweepFilter(std::vector<std::string> tags,
                                            absl::string_view state,
                                            std::string name_contains, bool include_archived) {
  SweepFilter filter;
  for (const std::string& tag : tags) {
    if (absl::Status valid = ValidateTag(tag); !valid.ok()) return valid;
  }
  filter.tags = std::move(tags);
  if (!state.empty()) {
    filter.state = ParseSweepState(absl::AsciiStrToUpper(state));
    if (!filter.state) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown sweep state '", state, "'; use running, finished or cancelled"));
    }
  }
  filter.name_contains = std::move(name_contains);
  filter.include_archived = include_archived;
  return filter;
}

}  // namespace lrsweep
