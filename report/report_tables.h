// The HTML report's tables: the ranking (best row and the significance verdict at a glance),
// the configurations that were not ranked, each family at its best, the stable peak-LR ranges,
// the diagnoses, the diverged or failed trials and the stopped ones — as real, sortable tables rather than text.
//
// Swept parameters are columns holding their values (schedule.type is the schedule column);
// numbers are right-aligned and sort numerically. Clicking a header sorts by it (the page's
// inline SortableTables script); everything stays in the one offline file.
//
//   page += RenderHtmlTables(report);   // inside <body>
//   page += "<script>" + std::string(kSortableTablesScript) + "</script>";
//
// Thread safety: stateless functions.
#ifndef LRSWEEP_REPORT_REPORT_TABLES_H_
#define LRSWEEP_REPORT_REPORT_TABLES_H_

#include <string>

#include "report/report.h"

namespace lrsweep {

// The tables, each in a <section> with an id (ranking, unranked, families, stable-lr, diagnoses,
// rungs, problems, stopped), and the verdict in <p id="verdict">.
std::string RenderHtmlTables(const SweepReport& report);

// CSS for the tables.
extern const char kReportTableStyle[];
// Makes every <table class="sortable"> sortable by clicking its headers.
extern const char kSortableTablesScript[];

// `text` with &, <, >, " escaped for HTML.
std::string HtmlEscape(const std::string& text);

}  // namespace lrsweep

#endif  // LRSWEEP_REPORT_REPORT_TABLES_H_
