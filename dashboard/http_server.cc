#include "dashboard/http_server.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "coordinator/server_security.h"
#include "dashboard/page_assets.h"
#include "httplib.h"
#include "report/report.h"

namespace lrsweep {
namespace {

// What a user token may do through the dashboard: read, as SweepService's readers, and each
// change (a POST to .../ACTION) as the gRPC method that does the same.
constexpr char kReadMethod[] = "/lrsweep.v1.SweepService/GetSweep";
constexpr std::pair<const char*, const char*> kChangeMethods[] = {
    {"/cancel", "/lrsweep.v1.SweepService/CancelSweep"},
    {"/retry", "/lrsweep.v1.SweepService/RetrySweep"},
    {"/labels", "/lrsweep.v1.SweepService/LabelSweep"},
    {"/archive", "/lrsweep.v1.SweepService/ArchiveSweep"},
    {"/delete", "/lrsweep.v1.SweepService/DeleteSweep"},
};

const char* MethodOf(const httplib::Request& req) {
  if (req.method != "POST") return kReadMethod;
  for (const auto& [suffix, method] : kChangeMethods) {
    if (absl::EndsWith(req.path, suffix)) return method;
  }
  return kChangeMethods[0].second;  // the API answers 404 or 405; authorize it as a change
}

absl::Status CheckSecurity(const DashboardServerOptions& options) {
  const bool tls = !options.tls_cert.empty() || !options.tls_key.empty();
  if (tls && (options.tls_cert.empty() || options.tls_key.empty())) {
    return absl::InvalidArgumentError("--http-listen with TLS needs both --tls-cert and --tls-key");
  }
  if (options.tokens != nullptr && !tls) {
    return absl::InvalidArgumentError(
        "--http-listen: user tokens need TLS (they would travel in the clear); give --tls-cert "
        "and --tls-key");
  }
  if (!IsLoopbackAddress(options.listen) && !options.insecure &&
      (!tls || options.tokens == nullptr || options.tokens->user_token_count() == 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--http-listen ", options.listen,
        " is not a loopback address: the dashboard there needs TLS (--tls-cert, --tls-key) and "
        "user tokens (--user-token-file), or --insecure on a trusted network; or listen on "
        "127.0.0.1 and reach it through an SSH tunnel"));
  }
  return absl::OkStatus();
}

void Reply(httplib::Response& res, const ApiResponse& answer) {
  res.status = answer.status;
  res.set_header("Cache-Control", "no-store");
  // Trial logs are programs' raw output: bytes that are not UTF-8 become U+FFFD, not an error.
  res.set_content(answer.body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace),
                  "application/json");
}

ApiRequest ToApiRequest(const httplib::Request& req) {
  ApiRequest request;
  request.method = req.method;
  request.path = req.path;
  for (const auto& [key, value] : req.params) request.query[key] = value;
  return request;
}

}  // namespace

absl::StatusOr<std::unique_ptr<DashboardServer>> DashboardServer::Start(
    const DashboardServerOptions& options, DashboardApi* api, ChangeCounter* changes) {
  if (absl::Status secure = CheckSecurity(options); !secure.ok()) return secure;
  const size_t colon = options.listen.rfind(':');
  int requested_port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(options.listen.substr(colon + 1), &requested_port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--http-listen ", options.listen, ": expected HOST:PORT"));
  }
  std::unique_ptr<DashboardServer> server(new DashboardServer());
  server->changes_ = changes;
  server->tokens_ = options.tokens;
  server->host_ = options.listen.substr(0, colon);
  server->tls_ = !options.tls_cert.empty();
  if (server->tls_) {
    server->server_ = std::make_unique<httplib::SSLServer>(options.tls_cert.c_str(),
                                                           options.tls_key.c_str());
  } else {
    server->server_ = std::make_unique<httplib::Server>();
  }
  if (!server->server_->is_valid()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--http-listen: cannot use --tls-cert ", options.tls_cert, " / --tls-key ",
        options.tls_key, " (not a PEM certificate and its key?)"));
  }
  server->AddRoutes(api);
  std::string bind_host = server->host_;
  if (bind_host.size() > 2 && bind_host.front() == '[') bind_host = bind_host.substr(1, bind_host.size() - 2);
  server->port_ = requested_port == 0 ? server->server_->bind_to_any_port(bind_host)
                                      : (server->server_->bind_to_port(bind_host, requested_port)
                                             ? requested_port
                                             : -1);
  if (server->port_ <= 0) {
    return absl::UnavailableError(absl::StrCat("--http-listen ", options.listen,
                                               ": cannot listen there (address in use, or not "
                                               "an address of this machine)"));
  }
  httplib::Server* raw = server->server_.get();
  server->thread_ = std::thread([raw] { raw->listen_after_bind(); });
  return server;
}

DashboardServer::~DashboardServer() { Stop(); }

std::string DashboardServer::url() const {
  const std::string host = host_.empty() || host_ == "0.0.0.0" ? "127.0.0.1" : host_;
  return absl::StrCat(tls_ ? "https" : "http", "://", host, ":", port_, "/");
}

void DashboardServer::Stop() {
  if (!thread_.joinable()) return;
  changes_->Close();  // long-polls answer now, so the pool can drain
  server_->stop();
  thread_.join();
}

void DashboardServer::AddRoutes(DashboardApi* api) {
  auto page = [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(DashboardPageHtml()), "text/html; charset=utf-8");
  };
  for (const char* route : {"/", "/sweeps/[^/]+", "/sweeps/[^/]+/trials/[0-9]+", "/workers"}) {
    server_->Get(route, page);
  }
  for (const PageAsset& asset : DashboardAssets()) {
    const std::string type = asset.name.size() > 3 && asset.name.substr(asset.name.size() - 3) == ".js"
                                 ? "text/javascript"
                                 : "text/css";
    const absl::string_view text = asset.text;
    server_->Get("/assets/" + asset.name, [text, type](const httplib::Request&, httplib::Response& res) {
      res.set_header("Cache-Control", "max-age=3600");
      res.set_content(text.data(), text.size(), type.c_str());
    });
  }
  auto handle = [this, api](const httplib::Request& req, httplib::Response& res) {
    if (tokens_ != nullptr) {
      const absl::Status allowed = tokens_->Authorize(
          MethodOf(req), req.get_header_value("Authorization"));
      if (!allowed.ok()) return Reply(res, ErrorResponse(allowed));
    }
    Reply(res, api->Handle(ToApiRequest(req)));
  };
  server_->Get("/api/.*", handle);
  server_->Post("/api/.*", handle);
  server_->Put("/api/.*", handle);
  server_->Delete("/api/.*", handle);
  // What httplib answers itself (no route, a malformed request) gets a JSON body too.
  server_->set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    const int status = res.status;
    Reply(res, ErrorResponse(status == 404
                                 ? absl::NotFoundError(absl::StrCat("no page ", req.path))
                                 : absl::InvalidArgumentError(absl::StrCat(
                                       "HTTP ", status, " for ", req.method, " ", req.path,
                                       " (see docs/dashboard.md)"))));
    res.status = status;
  });
}

}  // namespace lrsweep
