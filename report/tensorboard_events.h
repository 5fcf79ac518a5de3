// A trial's metric history as a TensorBoard event file, so the tool many users already read
// shows lrsweep's trials: every metric, the applied LR and momentum as scalars by step, and the
// trial's parameters as a text summary (the "text" plugin).
//
//   ASSIGN_OR_RETURN(std::string path, WriteTrialEvents("tb", trial, history));
//   // tb/<sweep>/trial-0003/events.out.tfevents.<secs>.lrsweep ; `tensorboard --logdir tb`
//
// The file is TensorBoard's record format: each record is its length (uint64, little-endian),
// the masked CRC-32C of those 8 bytes, the serialized tensorboard.Event, and the masked CRC-32C
// of it. The first event is the file version "brain.Event:2". Files are written whole, then
// renamed into place: a reader never sees half of one.
//
// Thread safety: stateless functions.
#ifndef LRSWEEP_REPORT_TENSORBOARD_EVENTS_H_
#define LRSWEEP_REPORT_TENSORBOARD_EVENTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sweep/records.h"

namespace lrsweep {

// CRC-32C (Castagnoli) of `data`, masked as TensorBoard's records store it:
// ((crc >> 15) | (crc << 17)) + 0xa282ead8.
uint32_t MaskedCrc32c(absl::string_view data);

// One record: length, its masked CRC, `payload`, the payload's masked CRC.
std::string TensorBoardRecord(absl::string_view payload);

// The event file's bytes for `trial` and its history.
std::string TrialEventFile(const TrialRecord& trial, const std::vector<MetricPoint>& history);

// Writes the trial's event file under `dir`/<sweep>/trial-<NNNN>/ (created) and returns its path.
// The name's timestamp is the trial's last update, so exporting again replaces the same file.
absl::StatusOr<std::string> WriteTrialEvents(const std::string& dir, const TrialRecord& trial,
                                             const std::vector<MetricPoint>& history);

}  // namespace lrsweep

#endif  // LRSWEEP_REPORT_TENSORBOARD_EVENTS_H_
