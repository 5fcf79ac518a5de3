// RenderHtml: the report as one self-contained HTML file. Vega, Vega-Lite and vega-embed (pinned
// in report_assets/package.json) are compiled into the binary and inlined, with the data, so the
// page opens offline. Any error while rendering is written into the page (#errors), which the
// browser test checks.
#include <algorithm>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "common/embedded_file.h"
#include "common/yaml_reader.h"
#include "report/report.h"
#include "report/report_tables.h"
#include "fmt/format.h"
#include "schedule/schedule.h"
#include "schedule/schedule_parser.h"

// The bundled scripts, embedded with the assembler's .incbin (paths from CMake).
LRSWEEP_EMBED_FILE(lrsweep_vega_js, LRSWEEP_VEGA_JS)
LRSWEEP_EMBED_FILE(lrsweep_vega_lite_js, LRSWEEP_VEGA_LITE_JS)
LRSWEEP_EMBED_FILE(lrsweep_vega_embed_js, LRSWEEP_VEGA_EMBED_JS)
extern "C" const char lrsweep_vega_js_begin[], lrsweep_vega_js_end[];
extern "C" const char lrsweep_vega_lite_js_begin[], lrsweep_vega_lite_js_end[];
extern "C" const char lrsweep_vega_embed_js_begin[], lrsweep_vega_embed_js_end[];

namespace lrsweep {
namespace {

constexpr size_t kMaxPointsPerCurve = 400;

using Json = nlohmann::ordered_json;

std::string Script(const char* begin, const char* end) {
  // "</script" inside a script would end it early.
  return absl::StrReplaceAll(std::string(begin, end), {{"</script", "<\\/script"}});
}


Json ParseOr(const std::string& text) {
  Json parsed = Json::parse(text, nullptr, false);
  return parsed.is_discarded() ? Json::object() : parsed;
}

// Every k-th point so that a curve has at most kMaxPointsPerCurve, always keeping the last.
template <typename F>
void Sampled(size_t n, F&& emit) {
  const size_t stride = std::max<size_t>(1, (n + kMaxPointsPerCurve - 1) / kMaxPointsPerCurve);
  for (size_t i = 0; i < n; i += stride) emit(i);
  if (n > 0 && (n - 1) % stride != 0) emit(n - 1);
}

const TrialRecord* FirstCompletedTrial(const SweepReport& report, const ConfigRank& rank) {
  for (int64_t index : rank.trials) {
    for (const TrialRecord& trial : report.trials) {
      if (trial.trial == index && report.histories.count(index)) return &trial;
    }
  }
  return nullptr;
}

std::vector<const TrialRecord*> TopTrials(const SweepReport& report) {
  std::vector<const TrialRecord*> top;
  for (const ConfigRank& rank : report.ranking) {
    if (static_cast<int>(top.size()) >= report.options.top_configs) break;
    if (const TrialRecord* trial = FirstCompletedTrial(report, rank)) top.push_back(trial);
  }
  return top;
}

std::string Label(const TrialRecord& trial, const SweepReport& report) {
  for (const ConfigRank& rank : report.ranking) {
    if (rank.config == trial.config) {
      return fmt::format("#{} {} lr {:g} (trial {})", rank.rank, rank.schedule_type, rank.peak_lr,
                         trial.trial);
    }
  }
  return fmt::format("trial {}", trial.trial);
}

Json MetricVsLr(const SweepReport& report) {
  Json rows = Json::array();
  for (const ConfigRank& rank : report.ranking) {
    if (!rank.scored() || rank.peak_lr <= 0) continue;
    const double low = rank.stats.ci95_low.value_or(
        *std::min_element(rank.scores.begin(), rank.scores.end()));
    const double high = rank.stats.ci95_high.value_or(
        *std::max_element(rank.scores.begin(), rank.scores.end()));
    // An accuracy's interval lies in [0, 1]: a t-interval over few seeds can overshoot it.
    const bool bounded = absl::StrContains(report.sweep.record.metric_name, "accuracy");
    rows.push_back({{"schedule", rank.schedule_type}, {"peak_lr", rank.peak_lr},
                    {"mean", rank.stats.mean},
                    {"low", bounded ? std::clamp(low, 0.0, 1.0) : low},
                    {"high", bounded ? std::clamp(high, 0.0, 1.0) : high},
                    {"config", rank.config}});
  }
  const std::string metric = report.sweep.record.metric_name;
  const Json x = {{"field", "peak_lr"}, {"type", "quantitative"},
                  {"scale", {{"type", "log"}}}, {"title", "peak LR (at base batch size)"}};
  return {{"$schema", "https://vega.github.io/schema/vega-lite/v5.json"},
          {"title", metric + " vs peak LR, per schedule family (band: 95% CI over seeds)"},
          {"width", 520}, {"height", 300},
          {"data", {{"values", rows}}},
          {"layer",
           Json::array({{{"mark", {{"type", "errorband"}, {"opacity", 0.25}}},
                         {"encoding", {{"x", x},
                                       {"y", {{"field", "low"}, {"type", "quantitative"},
                                              {"title", metric}, {"scale", {{"zero", false}}}}},
                                       {"y2", {{"field", "high"}}},
                                       {"color", {{"field", "schedule"}, {"type", "nominal"}}}}}},
                        {{"mark", {{"type", "line"}, {"point", true}}},
                         {"encoding", {{"x", x},
                                       {"y", {{"field", "mean"}, {"type", "quantitative"}}},
                                       {"color", {{"field", "schedule"}, {"type", "nominal"}}},
                                       {"tooltip", Json::array({{{"field", "schedule"}},
                                                                {{"field", "peak_lr"}},
                                                                {{"field", "mean"}},
                                                                {{"field", "config"}}})}}}}})}};
}

Json PlannedVsLogged(const SweepReport& report) {
  Json rows = Json::array();
  for (const TrialRecord* trial : TopTrials(report)) {
    const std::vector<MetricPoint>& history = report.histories.at(trial->trial);
    const std::string label = Label(*trial, report);
    Sampled(history.size(), [&](size_t i) {
      rows.push_back({{"trial", label}, {"step", history[i].step}, {"lr", history[i].lr},
                      {"curve", "logged by the worker"}});
    });
    const Json plan = ParseOr(trial->plan_json);
    if (!plan.contains("schedule")) continue;
    absl::StatusOr<ScheduleSpec> spec =
        ParseScheduleSpec(YAML::Load(plan["schedule"].dump()), YamlReader("plan"), "schedule");
    if (!spec.ok()) continue;
    absl::StatusOr<Schedule> schedule = Schedule::Create(
        *spec, Horizon{plan.value("total_steps", int64_t{1}), plan.value("steps_per_epoch", int64_t{0})});
    if (!schedule.ok()) continue;
    const int64_t total = schedule->horizon().total_steps;
    Sampled(static_cast<size_t>(total), [&](size_t step) {
      rows.push_back({{"trial", label}, {"step", step},
                      {"lr", schedule->PlannedLrAt(static_cast<int64_t>(step))},
                      {"curve", "planned"}});
    });
  }
  return {{"$schema", "https://vega.github.io/schema/vega-lite/v5.json"},
          {"title", "Planned LR vs the LR the workers applied (top configurations)"},
          {"width", 520}, {"height", 260},
          {"data", {{"values", rows}}},
          {"mark", {{"type", "line"}, {"strokeWidth", 1.5}}},
          {"encoding", {{"x", {{"field", "step"}, {"type", "quantitative"}}},
                        {"y", {{"field", "lr"}, {"type", "quantitative"}, {"title", "LR"}}},
                        {"color", {{"field", "trial"}, {"type", "nominal"}}},
                        {"strokeDash", {{"field", "curve"}, {"type", "nominal"}}}}}};
}

Json LossCurves(const SweepReport& report) {
  Json rows = Json::array();
  for (const TrialRecord* trial : TopTrials(report)) {
    const std::vector<MetricPoint>& history = report.histories.at(trial->trial);
    const std::string label = Label(*trial, report);
    Sampled(history.size(), [&](size_t i) {
      if (history[i].train_loss && std::isfinite(*history[i].train_loss)) {
        rows.push_back({{"trial", label}, {"step", history[i].step},
                        {"loss", *history[i].train_loss}, {"split", "train"}});
      }
    });
    for (const MetricPoint& point : history) {
      if (point.val_loss) {
        rows.push_back({{"trial", label}, {"step", point.step}, {"loss", *point.val_loss},
                        {"split", "validation"}});
      }
    }
  }
  return {{"$schema", "https://vega.github.io/schema/vega-lite/v5.json"},
          {"title", "Training and validation loss (top configurations)"},
          {"width", 520}, {"height", 260},
          {"data", {{"values", rows}}},
          {"mark", {{"type", "line"}, {"point", false}}},
          {"encoding", {{"x", {{"field", "step"}, {"type", "quantitative"}}},
                        {"y", {{"field", "loss"}, {"type", "quantitative"},
                               {"scale", {{"type", "log"}}}}},
                        {"color", {{"field", "trial"}, {"type", "nominal"}}},
                        {"strokeDash", {{"field", "split"}, {"type", "nominal"}}}}}};
}

// One swept parameter of every scored configuration scaled to [0, 1]: numbers by their range
// (log for LRs), categories by their order of appearance. `labels` receives what the axis of the
// parameter shows: each category, or the smallest and largest number, at its scaled position.
void AddScaledParameter(const SweepReport& report, const std::string& key, Json& rows,
                        Json& labels) {
  std::vector<std::string> categories;
  double low = INFINITY, high = -INFINITY;
  bool numeric = true, logarithmic = key.find("lr") != std::string::npos;
  for (const ConfigRank& rank : report.ranking) {
    if (!rank.params.contains(key)) continue;
    const Json& v = rank.params[key];
    if (v.is_number()) {
      low = std::min(low, v.get<double>());
      high = std::max(high, v.get<double>());
      logarithmic = logarithmic && v.get<double>() > 0;
    } else {
      numeric = false;
      if (std::find(categories.begin(), categories.end(), v.dump()) == categories.end()) {
        categories.push_back(v.dump());
      }
    }
  }
  auto label = [&](double scaled, const std::string& text) {
    labels.push_back({{"parameter", key}, {"scaled", scaled}, {"label", text}});
  };
  if (!numeric) {
    for (size_t i = 0; i < categories.size(); ++i) {
      const Json value = Json::parse(categories[i]);
      label(categories.size() > 1 ? double(i) / double(categories.size() - 1) : 0.5,
            value.is_string() ? value.get<std::string>() : categories[i]);
    }
  } else if (high > low) {
    label(0, fmt::format("{:g}", low));
    label(1, fmt::format("{:g}", high));
  } else if (std::isfinite(low)) {
    label(0.5, fmt::format("{:g}", low));
  }
  for (const ConfigRank& rank : report.ranking) {
    if (!rank.params.contains(key) || !rank.scored()) continue;
    const Json& v = rank.params[key];
    double scaled = 0.5;
    if (numeric && high > low) {
      scaled = logarithmic ? (std::log(v.get<double>()) - std::log(low)) /
                                 (std::log(high) - std::log(low))
                           : (v.get<double>() - low) / (high - low);
    } else if (!numeric && categories.size() > 1) {
      scaled = double(std::find(categories.begin(), categories.end(), v.dump()) -
                      categories.begin()) /
               double(categories.size() - 1);
    }
    rows.push_back({{"config", rank.config}, {"parameter", key}, {"scaled", scaled},
                    {"value", v.is_string() ? v.get<std::string>() : v.dump()},
                    {"score", rank.stats.mean}});
  }
}

Json ParallelCoordinates(const SweepReport& report) {
  std::vector<std::string> keys;
  for (const ConfigRank& rank : report.ranking) {
    for (const auto& [key, value] : rank.params.items()) {
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
    }
  }
  Json rows = Json::array();
  Json labels = Json::array();
  for (const std::string& key : keys) AddScaledParameter(report, key, rows, labels);
  const Json x = {{"field", "parameter"}, {"type", "nominal"}, {"sort", keys}, {"title", nullptr}};
  const Json y = {{"field", "scaled"}, {"type", "quantitative"}, {"title", "scaled value"},
                  {"axis", {{"labels", false}, {"ticks", false}}}};
  return {{"$schema", "https://vega.github.io/schema/vega-lite/v5.json"},
          {"title", "Swept parameters of every configuration, coloured by score"},
          {"width", std::max<int>(300, 130 * static_cast<int>(keys.size()))}, {"height", 260},
          {"layer",
           Json::array(
               {{{"data", {{"values", rows}}},
                 {"mark", {{"type", "line"}, {"point", true}, {"opacity", 0.7}}},
                 {"encoding", {{"x", x}, {"y", y},
                               {"detail", {{"field", "config"}, {"type", "nominal"}}},
                               {"color", {{"field", "score"}, {"type", "quantitative"},
                                          {"scale", {{"scheme", "viridis"}}}}},
                               {"tooltip", Json::array({{{"field", "config"}},
                                                        {{"field", "parameter"}},
                                                        {{"field", "value"}},
                                                        {{"field", "score"}}})}}}},
                // Each axis's values: the categories, or the range of the numbers.
                {{"data", {{"values", labels}}},
                 {"mark", {{"type", "text"}, {"align", "left"}, {"dx", 6}, {"fontSize", 11}}},
                 {"encoding", {{"x", x}, {"y", y}, {"text", {{"field", "label"}}}}}}})}};
}

Json SensitivityChart(const SweepReport& report) {
  Json rows = Json::array();
  for (const Sensitivity& s : report.sensitivity) {
    rows.push_back({{"schedule", s.family}, {"lr_min", s.lr_min}, {"lr_max", s.lr_max},
                    {"best_lr", s.best_lr}, {"lrs_tried", s.lrs_tried}});
  }
  const Json x = {{"field", "lr_min"}, {"type", "quantitative"}, {"scale", {{"type", "log"}}},
                  {"title", fmt::format("peak LRs within {:g} of the family's best",
                                        report.options.tolerance)}};
  return {{"$schema", "https://vega.github.io/schema/vega-lite/v5.json"},
          {"title", "Stable peak-LR range per schedule family"},
          {"width", 520}, {"height", 40 + 30 * static_cast<int>(rows.size())},
          {"data", {{"values", rows}}},
          {"layer",
           Json::array({{{"mark", {{"type", "rule"}, {"strokeWidth", 6}, {"opacity", 0.6}}},
                         {"encoding", {{"y", {{"field", "schedule"}, {"type", "nominal"}}},
                                       {"x", x},
                                       {"x2", {{"field", "lr_max"}}},
                                       // The y axis names each family: a legend would repeat it.
                                       {"color", {{"field", "schedule"}, {"type", "nominal"},
                                                  {"legend", nullptr}}}}}},
                        {{"mark", {{"type", "point"}, {"filled", true}, {"size", 80},
                                   {"color", "black"}}},
                         {"encoding", {{"y", {{"field", "schedule"}, {"type", "nominal"}}},
                                       {"x", {{"field", "best_lr"}, {"type", "quantitative"},
                                              {"scale", {{"type", "log"}}}}},
                                       {"tooltip", Json::array({{{"field", "best_lr"}},
                                                                {{"field", "lr_min"}},
                                                                {{"field", "lr_max"}}})}}}}})}};
}

}  // namespace

std::string RenderHtml(const SweepReport& report) {
  const SweepRecord& sweep = report.sweep.record;
  Json charts = Json::array({MetricVsLr(report), PlannedVsLogged(report), LossCurves(report),
                             ParallelCoordinates(report), SensitivityChart(report)});
  if (report.range_tests.active()) charts.push_back(RangeTestChart(report.range_tests));
  std::string page = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      "<title>{0} — lrsweep report</title>\n<style>\n"
      "body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1100px; }}\n"
      "table {{ border-collapse: collapse; margin: 1em 0; font-size: 14px; }}\n"
      "td, th {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; }}\n"
      ".chart {{ margin: 1.5em 0; }}\n#errors {{ color: #b00; }}\n{1}</style>\n",
      HtmlEscape(sweep.name), kReportTableStyle);
  page += "<script>" + Script(lrsweep_vega_js_begin, lrsweep_vega_js_end) + "</script>\n";
  page += "<script>" + Script(lrsweep_vega_lite_js_begin, lrsweep_vega_lite_js_end) + "</script>\n";
  page += "<script>" + Script(lrsweep_vega_embed_js_begin, lrsweep_vega_embed_js_end) +
          "</script>\n</head><body>\n";
  page += fmt::format("<h1>{} <small>({})</small></h1>\n", HtmlEscape(sweep.name), HtmlEscape(sweep.id));
  page += RenderHtmlTables(report);
  for (size_t i = 0; i < charts.size(); ++i) {
    page += fmt::format("<div class=\"chart\" id=\"chart{}\"></div>\n", i + 1);
  }
  page += "<pre id=\"errors\"></pre>\n<script>\n";
  page += kSortableTablesScript;
  page += "const specs = " + absl::StrReplaceAll(charts.dump(), {{"</", "<\\/"}}) + ";\n";
  page += R"js(
function reportError(message) {
  document.getElementById('errors').textContent += message + '\n';
}
window.addEventListener('error', (event) => reportError('error: ' + event.message));
Promise.all(specs.map((spec, i) =>
    vegaEmbed('#chart' + (i + 1), spec, {renderer: 'svg', actions: false})
        .catch((error) => reportError('chart ' + (i + 1) + ': ' + error))))
    .then(() => { document.body.dataset.rendered = 'true'; });
</script>
</body></html>
)js";
  return page;
}

std::vector<BundledScript> BundledChartScripts() {
  auto text = [](const char* begin, const char* end) {
    return absl::string_view(begin, static_cast<size_t>(end - begin));
  };
  return {{"vega.min.js", text(lrsweep_vega_js_begin, lrsweep_vega_js_end)},
          {"vega-lite.min.js", text(lrsweep_vega_lite_js_begin, lrsweep_vega_lite_js_end)},
          {"vega-embed.min.js", text(lrsweep_vega_embed_js_begin, lrsweep_vega_embed_js_end)}};
}

}  // namespace lrsweep
