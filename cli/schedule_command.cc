#include "cli/schedule_command.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cli/svg_plot.h"
#include "common/status_macros.h"
#include "common/yaml_reader.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "schedule/schedule.h"
#include "schedule/schedule_lint.h"
#include "schedule/schedule_parser.h"
#include "schedule/schedule_pytorch.h"

namespace lrsweep {
namespace {

struct Curve {
  std::vector<double> lr;
  std::vector<double> momentum;  // empty unless the schedule cycles momentum
};

absl::StatusOr<std::vector<double>> ReadMetrics(const std::string& file) {
  ASSIGN_OR_RETURN(std::string text, ReadTextFile(file));
  std::vector<double> values;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || absl::StartsWith(line, "#")) continue;
    double value = 0;
    if (!absl::SimpleAtod(line, &value) || std::isnan(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat(file, ":", line_number, ":1: expected one number per line, got '", line,
                       "'"));
    }
    values.push_back(value);
  }
  if (values.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": no metric values in the file"));
  }
  return values;
}

Curve Trace(Schedule& schedule, int64_t rows, int64_t steps_per_row,
            const std::vector<double>& metrics) {
  Curve curve;
  for (int64_t row = 0; row < rows; ++row) {
    curve.lr.push_back(schedule.lr());
    if (schedule.cycles_momentum()) curve.momentum.push_back(*schedule.momentum());
    if (!metrics.empty()) schedule.ObserveMetric(metrics[static_cast<size_t>(row)]);
    for (int64_t i = 0; i < steps_per_row; ++i) schedule.Step();
  }
  return curve;
}

void WriteCsv(const Curve& curve, std::ostream& out) {
  const bool momentum = !curve.momentum.empty();
  out << (momentum ? "step,lr,momentum\n" : "step,lr\n");
  for (size_t i = 0; i < curve.lr.size(); ++i) {
    out << i << ',' << fmt::format("{}", curve.lr[i]);
    if (momentum) out << ',' << fmt::format("{}", curve.momentum[i]);
    out << '\n';
  }
}

void WriteJson(const Schedule& schedule, const Curve& curve, std::ostream& out) {
  nlohmann::ordered_json json;
  json["schedule"] = ScheduleSpecToJson(schedule.spec());
  json["total_steps"] = schedule.horizon().total_steps;
  json["steps_per_epoch"] = schedule.horizon().steps_per_epoch;
  json["lr"] = curve.lr;
  if (!curve.momentum.empty()) json["momentum"] = curve.momentum;
  out << json.dump(1) << '\n';
}

void WriteSvg(const Schedule& schedule, const Curve& curve, bool log_scale, std::ostream& out) {
  const ScheduleSpec& spec = schedule.spec();
  LineChart chart;
  chart.title = fmt::format("{} schedule, lr {:g}{}", std::string(ScheduleTypeName(spec.type)), spec.lr,
                            spec.warmup ? fmt::format(", {} warmup {}s", *spec.warmup->steps, std::string(
                                                      UnitName(spec.unit)))
                                        : "");
  chart.x_label = "step";
  chart.y_label = "learning rate";
  chart.series.push_back({"lr", curve.lr, "#1f77b4", false});
  if (!curve.momentum.empty()) {
    chart.right_label = "momentum";
    chart.series.push_back({"momentum", curve.momentum, "#d62728", true});
  }
  out << RenderSvg(chart, log_scale);
}

}  // namespace

absl::Status RunScheduleCommand(const ScheduleCommandOptions& options, std::ostream& out,
                                std::ostream& err) {
  if (options.format != "csv" && options.format != "json" && options.format != "svg" &&
      options.format != "pytorch") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--format: unknown format '", options.format, "'; use csv, json, svg or pytorch"));
  }
  ASSIGN_OR_RETURN(ScheduleSpec spec, LoadScheduleFile(options.file));

  std::vector<double> metrics;
  Horizon horizon{options.total_steps.value_or(0), options.steps_per_epoch};
  int64_t rows = horizon.total_steps;
  int64_t steps_per_row = 1;
  if (!options.metrics_file.empty()) {
    ASSIGN_OR_RETURN(metrics, ReadMetrics(options.metrics_file));
    rows = static_cast<int64_t>(metrics.size());
    if (options.total_steps && *options.total_steps != rows) {
      return absl::InvalidArgumentError(
          absl::StrCat("--total-steps is ", *options.total_steps, " but ", options.metrics_file,
                       " has ", rows, " values; with --metrics each value is one row (drop "
                       "--total-steps)"));
    }
    // One row per metric: each row is one tick of the schedule.
    steps_per_row = spec.unit == ScheduleUnit::kEpoch ? std::max<int64_t>(1, horizon.steps_per_epoch)
                                                      : 1;
    horizon = Horizon{rows * steps_per_row, steps_per_row};
  } else if (!options.total_steps) {
    return absl::InvalidArgumentError("--total-steps N is required (or --metrics FILE)");
  }
  if (horizon.total_steps < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--total-steps must be at least 1, got ", horizon.total_steps));
  }
  for (const LintWarning& warning : LintSchedule(spec, horizon, LintContext{})) {
    err << FormatLintWarning(warning) << '\n';
  }
  ASSIGN_OR_RETURN(Schedule schedule, Schedule::Create(spec, horizon));
  if (options.format == "pytorch") {
    ASSIGN_OR_RETURN(std::string code, PytorchSchedulerCode(schedule));
    out << code;
    return absl::OkStatus();
  }
  const Curve curve = Trace(schedule, rows, steps_per_row, metrics);
  if (options.format == "csv") {
    WriteCsv(curve, out);
  } else if (options.format == "json") {
    WriteJson(schedule, curve, out);
  } else {
    WriteSvg(schedule, curve, options.log_scale, out);
  }
  return absl::OkStatus();
}

}  // namespace lrsweep
