// The CLI commands that talk to a running coordinator: submit, status, cancel, watch, report,
// metrics. Each returns an absl::Status that becomes the exit code (cli/exit_codes.h).
//
//   CoordinatorClient client(ResolveCoordinatorAddress(flag));
//   absl::Status status = RunSubmit(client, "sweeps/quickstart.yaml", std::cout, std::cerr);
//
// Thread safety: stateless functions.
#ifndef LRSWEEP_CLI_REMOTE_COMMANDS_H_
#define LRSWEEP_CLI_REMOTE_COMMANDS_H_

#include <atomic>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "cli/coordinator_client.h"
#include "cli/submission.h"
#include "report/report.h"
#include "sweep/sweep_labels.h"

namespace lrsweep {

// Trials of the sweep in a final state.
int64_t FinishedCount(const v1::SweepSummary& sweep);

// Uploads the files the sweep names that the coordinator lacks, submits it, prints lint warnings
// on `err` and the sweep id as the last line of `out`. With `into_sweep_id`, `file` is an edited
// version of that sweep's file, and only the trials the sweep lacks are added to it.
absl::StatusOr<std::string> RunSubmit(CoordinatorClient& client, const std::string& file,
                                      const std::string& into_sweep_id, std::ostream& out,
                                      std::ostream& err);
absl::StatusOr<std::string> RunSubmit(CoordinatorClient& client, const Submission& submission,
                                      std::ostream& out, std::ostream& err);
// All sweeps `filter` matches and the workers, or one sweep's trials.
absl::Status RunStatus(CoordinatorClient& client, const std::string& sweep_id,
                       const SweepFilter& filter, std::ostream& out);
absl::Status RunCancel(CoordinatorClient& client, const std::string& sweep_id, std::ostream& out);
// Runs the sweep's FAILED trials (and CANCELLED ones with `cancelled`) again.
absl::Status RunRetry(CoordinatorClient& client, const std::string& sweep_id, bool cancelled,
                      std::ostream& out);
// Live progress until the sweep ends; ABORTED (exit 1) if a trial FAILED or the sweep was
// cancelled. `interactive` redraws in place (a TTY); otherwise plain lines. A coordinator lost
// after the first event (a restart) is waited for with backoff, saying so, until `stop` (if
// given) is set; one that cannot be reached at all is an error at once.
absl::Status RunWatch(CoordinatorClient& client, const std::string& sweep_id, bool interactive,
                      std::ostream& out, const std::atomic<bool>* stop = nullptr);
// The sweep's report, with every finished trial's metric history (for diagnoses and charts).
absl::StatusOr<SweepReport> FetchReport(CoordinatorClient& client, const std::string& sweep_id,
                                        const ReportOptions& options);
// format: md | html | json | csv; `output` empty means `out`.
absl::Status RunReport(CoordinatorClient& client, const std::string& sweep_id,
                       const std::string& format, const std::string& output,
                       const ReportOptions& options, std::ostream& out);
// The best configuration of two sweeps ranked by the same metric, and whether B beats A.
absl::Status RunCompare(CoordinatorClient& client, const std::string& sweep_a,
                        const std::string& sweep_b, std::ostream& out);
absl::Status WriteReport(const SweepReport& report, const std::string& format,
                         const std::string& path);
// `lrsweep logs SWEEP TRIAL`: what a command trial's program printed (stdout, stderr, and the
// worker's notes), of the latest attempt unless `attempt` is given.
absl::Status RunLogs(CoordinatorClient& client, const std::string& sweep_id, int64_t trial,
                     int64_t attempt, int64_t tail_lines, std::ostream& out, std::ostream& err);

absl::Status RunMetrics(CoordinatorClient& client, const std::string& sweep_id, int64_t trial,
                        const std::string& format, std::ostream& out);

}  // namespace lrsweep

#endif  // LRSWEEP_CLI_REMOTE_COMMANDS_H_
