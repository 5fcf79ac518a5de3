#include "report/report_tables.h"

#include <set>
#include <vector>

#include "absl/strings/str_join.h"
#include "common/fmt_absl.h"
#include "fmt/format.h"

namespace lrsweep {
namespace {

using Json = nlohmann::ordered_json;

// One cell: text, and for numbers the value it sorts by.
struct Cell {
  std::string text;
  std::optional<double> number;
};

Cell Text(const std::string& text) { return {text, std::nullopt}; }
Cell Num(double value, const char* format = "{:.4f}") {
  return {fmt::format(fmt::runtime(format), value), value};
}

std::string ValueText(const Json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

std::string Row(const std::vector<Cell>& cells, const std::string& row_class = "") {
  std::string out = row_class.empty() ? "<tr>" : "<tr class=\"" + row_class + "\">";
  for (const Cell& cell : cells) {
    out += cell.number ? fmt::format("<td class=\"num\" data-sort=\"{}\">{}</td>", *cell.number,
                                     HtmlEscape(cell.text))
                       : "<td>" + HtmlEscape(cell.text) + "</td>";
  }
  return out + "</tr>\n";
}

std::string Table(const std::string& id, const std::string& title,
                  const std::vector<std::string>& headers, const std::string& rows) {
  std::string out = fmt::format("<section id=\"{}\"><h2>{}</h2>\n<table class=\"sortable\">"
                                "<thead><tr>",
                                id, HtmlEscape(title));
  for (const std::string& header : headers) out += "<th>" + HtmlEscape(header) + "</th>";
  return out + "</tr></thead>\n<tbody>\n" + rows + "</tbody></table></section>\n";
}

// The swept keys, in the order they first appear (schedule.type has its own column).
std::vector<std::string> SweptKeys(const SweepReport& report) {
  std::vector<std::string> keys;
  std::set<std::string> seen;
  for (const ConfigRank& rank : report.ranking) {
    for (const auto& [key, value] : rank.params.items()) {
      if (key != "schedule.type" && seen.insert(key).second) keys.push_back(key);
    }
  }
  return keys;
}

std::vector<Cell> ParamCells(const ConfigRank& rank, const std::vector<std::string>& keys) {
  std::vector<Cell> cells;
  for (const std::string& key : keys) {
    if (!rank.params.contains(key)) {
      cells.push_back(Text(""));
    } else if (rank.params[key].is_number()) {
      cells.push_back(Num(rank.params[key].get<double>(), "{:g}"));
    } else {
      cells.push_back(Text(ValueText(rank.params[key])));
    }
  }
  return cells;
}

std::string Ranking(const SweepReport& report, const std::vector<std::string>& keys) {
  const SweepRecord& sweep = report.sweep.record;
  std::vector<std::string> headers = {"rank", "schedule"};
  headers.insert(headers.end(), keys.begin(), keys.end());
  for (const char* header : {"mean", "± std", "95% CI", "n", "trials"}) headers.push_back(header);
  headers[2 + keys.size()] = sweep.metric_name + " (mean)";
  std::string rows;
  for (const ConfigRank& rank : report.ranking) {
    if (!rank.scored()) continue;
    std::vector<Cell> cells = {Num(static_cast<double>(rank.rank), "{:g}"),
                               Text(rank.schedule_type)};
    for (Cell& cell : ParamCells(rank, keys)) cells.push_back(std::move(cell));
    cells.push_back(Num(rank.stats.mean));
    cells.push_back(rank.stats.std ? Num(*rank.stats.std) : Text("-"));
    cells.push_back(Text(rank.stats.ci95_low ? fmt::format("[{:.4f}, {:.4f}]",
                                                            *rank.stats.ci95_low,
                                                            *rank.stats.ci95_high)
                                             : "-"));
    cells.push_back(Num(static_cast<double>(rank.stats.n), "{:g}"));
    cells.push_back(Text(absl::StrJoin(rank.trials, ", ")));
    rows += Row(cells, rank.rank == 1 ? "best" : "");
  }
  return Table("ranking",
               fmt::format("Ranking by {} {} ({}), mean over seeds",
                           sweep.maximize ? "highest" : "lowest", sweep.metric_name,
                           sweep.metric_summary),
               headers, rows);
}

std::string Unranked(const SweepReport& report, const std::vector<std::string>& keys) {
  std::string rows;
  for (const ConfigRank& rank : report.ranking) {
    if (rank.scored()) continue;
    std::vector<Cell> cells = {Text(rank.schedule_type)};
    for (Cell& cell : ParamCells(rank, keys)) cells.push_back(std::move(cell));
    cells.push_back(Text(absl::StrJoin(rank.trials, ", ")));
    cells.push_back(Text(rank.states));
    rows += Row(cells);
  }
  if (rows.empty()) return "";
  std::vector<std::string> headers = {"schedule"};
  headers.insert(headers.end(), keys.begin(), keys.end());
  headers.push_back("trials");
  headers.push_back("states");
  return Table("unranked", "Not ranked (no score: diverged, failed or unfinished)", headers, rows);
}

std::string Families(const SweepReport& report) {
  if (report.family_best.empty()) return "";
  std::string rows;
  for (const FamilyBest& family : report.family_best) {
    std::string configuration;
    for (const ConfigRank& rank : report.ranking) {
      if (rank.config != family.config) continue;
      std::vector<std::string> parts;
      for (const auto& [key, value] : rank.params.items()) {
        if (key != "schedule.type") parts.push_back(key + " " + ValueText(value));
      }
      configuration = absl::StrJoin(parts, ", ");
    }
    rows += Row({Text(family.family), Num(family.stats.mean),
                 family.stats.ci95_low ? Text(fmt::format("[{:.4f}, {:.4f}]",
                                                          *family.stats.ci95_low,
                                                          *family.stats.ci95_high))
                                       : Text("-"),
                 family.gain_over_constant ? Num(*family.gain_over_constant, "{:+.4f}")
                                           : Text("-"),
                 Text(configuration)});
  }
  return Table("families", "Each schedule family at its best",
               {"schedule", "best " + report.sweep.record.metric_name, "95% CI",
                "gain over constant LR", "configuration"},
               rows);
}

std::string StableRanges(const SweepReport& report) {
  if (report.sensitivity.empty()) return "";
  std::string rows;
  for (const Sensitivity& s : report.sensitivity) {
    rows += Row({Text(s.family), Num(s.best_lr, "{:g}"), Num(s.lr_min, "{:g}"),
                 Num(s.lr_max, "{:g}"), Num(s.lr_max / s.lr_min, "{:.1f}x"),
                 Num(static_cast<double>(s.lrs_tried), "{:g}")});
  }
  return Table("stable-lr",
               fmt::format("Stable peak-LR range (within {:g} of each family's best)",
                           report.options.tolerance),
               {"schedule", "best peak LR", "stable from", "stable to", "width",
                "peak LRs tried"},
               rows);
}

std::string Rungs(const SweepReport& report) {
  if (report.rungs.empty()) return "";
  std::string rows;
  for (const RungSummary& rung : report.rungs) {
    rows += Row({Num(static_cast<double>(rung.rung), "{:g}"), Num(rung.fraction, "{:.3g}"),
                 Num(static_cast<double>(rung.steps_per_trial), "{:g}"),
                 Num(static_cast<double>(rung.configurations), "{:g}"),
                 Num(static_cast<double>(rung.finished), "{:g}"),
                 Num(static_cast<double>(rung.promoted), "{:g}"),
                 Num(static_cast<double>(rung.steps), "{:g}")});
  }
  return Table("rungs", "Successive halving: " + HalvingText(report),
               {"rung", "share of the run", "steps per trial", "configurations", "finished",
                "promoted", "steps trained"},
               rows);
}

std::string RangeTests(const SweepReport& report) {
  if (!report.range_tests.active()) return "";
  auto lr = [](const std::optional<double>& value) {
    return value ? Num(*value, "{:.3g}") : Text("-");
  };
  std::string rows;
  for (const RangeTestSummary::Test& test : report.range_tests.tests) {
    std::vector<std::string> chosen;
    for (const RangeTestSummary::Chosen& c : test.chosen) {
      chosen.push_back(fmt::format("{:.3g} ({}, {} trials)", c.lr, c.label, c.trials.size()));
    }
    const bool failed = test.state == TrialState::kFailed || test.state == TrialState::kCancelled;
    rows += Row({Num(static_cast<double>(test.trial), "{:g}"), Text(test.setup),
                 Text(std::string(TrialStateName(test.state))),
                 Num(static_cast<double>(test.steps), "{:g}"), lr(test.curve.steepest_lr),
                 lr(test.curve.Pick("min_loss")), lr(test.curve.diverged_lr),
                 Text(chosen.empty() ? "-" : absl::StrJoin(chosen, ", ")),
                 Text(failed ? test.reason : test.curve.problem)});
  }
  return Table("range-tests", "LR range test (the chart below plots each curve)",
               {"trial", "setup", "state", "steps", "steepest", "min_loss", "diverged at",
                "peak LRs taken", "note"},
               rows);
}

std::string DiagnosesAndProblems(const SweepReport& report) {
  std::string out;
  std::string rows;
  for (const Diagnosis& d : report.diagnoses) {
    rows += Row({Num(static_cast<double>(d.trial), "{:g}"), Text(d.code),
                 Text(fmt::format("{}–{}", d.from_step, d.to_step)), Text(d.message),
                 Text(d.fix)});
  }
  if (!rows.empty()) {
    out += Table("diagnoses", "Diagnoses", {"trial", "finding", "steps", "what", "fix"}, rows);
  }
  rows.clear();
  for (const TrialRecord& trial : report.trials) {
    if (trial.state != TrialState::kDiverged && trial.state != TrialState::kFailed) continue;
    rows += Row({Num(static_cast<double>(trial.trial), "{:g}"),
                 Text(std::string(TrialStateName(trial.state))), Text(trial.params_json),
                 Text(trial.reason)});
  }
  if (!rows.empty()) {
    out += Table("problems", "Diverged and failed trials",
                 {"trial", "state", "parameters", "reason"}, rows);
  }
  rows.clear();
  for (const TrialRecord& trial : report.trials) {
    if (trial.state != TrialState::kStopped) continue;
    rows += Row({Num(static_cast<double>(trial.trial), "{:g}"),
                 Num(static_cast<double>(trial.step), "{:g}"), Text(trial.params_json),
                 Text(trial.reason)});
  }
  if (!rows.empty()) {
    out += Table("stopped", "Stopped early: " + EarlyStopText(report.early_stop),
                 {"trial", "stopped at step", "parameters", "reason"}, rows);
  }
  return out;
}

}  // namespace

std::string HtmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string RenderHtmlTables(const SweepReport& report) {
  std::vector<std::string> counts;
  for (const auto& [state, count] : report.sweep.counts) {
    counts.push_back(fmt::format("{} {}", count, TrialStateName(state)));
  }
  std::string out =
      counts.empty() ? std::string()
                     : fmt::format("<p id=\"counts\">{} trials: {}.</p>\n",
                                   report.sweep.total_trials, absl::StrJoin(counts, ", "));
  out += fmt::format("<p id=\"verdict\" class=\"{}\">{}</p>\n",
                     report.significance.significant ? "verdict significant" : "verdict",
                     HtmlEscape(report.significance.note));
  const std::vector<std::string> keys = SweptKeys(report);
  return out + Ranking(report, keys) + Unranked(report, keys) + Families(report) +
         StableRanges(report) + RangeTests(report) + Rungs(report) + DiagnosesAndProblems(report);
}

const char kReportTableStyle[] = R"css(
table.sortable th { cursor: pointer; background: #f3f3f3; user-select: none; }
table.sortable th[aria-sort="ascending"]::after { content: " \25B2"; }
table.sortable th[aria-sort="descending"]::after { content: " \25BC"; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.best td { background: #e6f4ea; font-weight: 600; }
p.verdict { padding: 0.6em 1em; border-left: 4px solid #999; background: #f7f7f7; }
p.verdict.significant { border-color: #188038; }
)css";

const char kSortableTablesScript[] = R"js(
document.querySelectorAll('table.sortable').forEach((table) => {
  table.querySelectorAll('th').forEach((header, column) => {
    header.addEventListener('click', () => {
      const ascending = header.getAttribute('aria-sort') !== 'ascending';
      table.querySelectorAll('th').forEach((h) => h.removeAttribute('aria-sort'));
      header.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      const body = table.tBodies[0];
      const key = (row) => {
        const cell = row.cells[column];
        return cell && cell.dataset.sort !== undefined ? Number(cell.dataset.sort)
                                                       : (cell ? cell.textContent : '');
      };
      const rows = Array.from(body.rows).sort((a, b) => {
        const x = key(a), y = key(b);
        const order = typeof x === 'number' && typeof y === 'number' ? x - y
                                                                     : String(x).localeCompare(String(y));
        return ascending ? order : -order;
      });
      rows.forEach((row) => body.appendChild(row));
    });
  });
});
)js";

}  // namespace lrsweep
