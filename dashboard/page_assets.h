// The dashboard's page, script and style sheet (dashboard/assets/), and the charting scripts the
// reports bundle, compiled into the binary: the dashboard works with no network at all.
//
//   for (const PageAsset& asset : DashboardAssets()) Serve("/assets/" + asset.name, asset.text);
//
// Thread safety: read-only data.
#ifndef LRSWEEP_DASHBOARD_PAGE_ASSETS_H_
#define LRSWEEP_DASHBOARD_PAGE_ASSETS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace lrsweep {

struct PageAsset {
  std::string name;  // served as /assets/<name>
  absl::string_view text;
};

// The one HTML page every dashboard URL answers with; its script routes on the path.
absl::string_view DashboardPageHtml();
// app.js, app.css, vega.min.js, vega-lite.min.js, vega-embed.min.js.
std::vector<PageAsset> DashboardAssets();

}  // namespace lrsweep

#endif  // LRSWEEP_DASHBOARD_PAGE_ASSETS_H_
