#include "dashboard/page_assets.h"

#include "common/embedded_file.h"
#include "report/report.h"

LRSWEEP_EMBED_FILE(lrsweep_dashboard_html, LRSWEEP_DASHBOARD_HTML)
LRSWEEP_EMBED_FILE(lrsweep_dashboard_js, LRSWEEP_DASHBOARD_JS)
LRSWEEP_EMBED_FILE(lrsweep_dashboard_css, LRSWEEP_DASHBOARD_CSS)
extern "C" const char lrsweep_dashboard_html_begin[], lrsweep_dashboard_html_end[];
extern "C" const char lrsweep_dashboard_js_begin[], lrsweep_dashboard_js_end[];
extern "C" const char lrsweep_dashboard_css_begin[], lrsweep_dashboard_css_end[];

namespace lrsweep {
namespace {

absl::string_view Text(const char* begin, const char* end) {
  return absl::string_view(begin, static_cast<size_t>(end - begin));
}

}  // namespace

absl::string_view DashboardPageHtml() {
  return Text(lrsweep_dashboard_html_begin, lrsweep_dashboard_html_end);
}

std::vector<PageAsset> DashboardAssets() {
  std::vector<PageAsset> assets = {
      {"app.js", Text(lrsweep_dashboard_js_begin, lrsweep_dashboard_js_end)},
      {"app.css", Text(lrsweep_dashboard_css_begin, lrsweep_dashboard_css_end)}};
  for (BundledScript& script : BundledChartScripts()) {
    assets.push_back({script.name, script.text});
  }
  return assets;
}

}  // namespace lrsweep
