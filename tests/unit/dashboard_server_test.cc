// The dashboard over real HTTP on 127.0.0.1: pages for every route (the script routes), compiled-in
// scripts, JSON errors, and the security rules of the gRPC port: off loopback only with TLS and
// user tokens; with tokens, /api/ answers 401 without one and 403 for a worker's.
#include <fstream>

#include "coordinator/coordinator.h"
#include "coordinator/init_secrets.h"
#include "coordinator/store.h"
#include "dashboard/coordinator_source.h"
#include "dashboard/http_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/unit/test_util.h"

namespace lrsweep {
namespace {

using ::testing::HasSubstr;

std::string FirstLine(const std::string& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

class DashboardServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = *OpenSqliteStore(dir_.path() + "/lrsweep.db");
    CoordinatorOptions options;
    options.checkpoint_dir = dir_.path() + "/checkpoints";
    coordinator_ = *Coordinator::Create(store_.get(), options);
    source_ = std::make_unique<CoordinatorDashboardSource>(coordinator_.get(), &changes_);
    api_ = std::make_unique<DashboardApi>(source_.get(), &changes_);
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Coordinator> coordinator_;
  ChangeCounter changes_;
  std::unique_ptr<CoordinatorDashboardSource> source_;
  std::unique_ptr<DashboardApi> api_;
};

TEST_F(DashboardServerTest, ServesThePagesTheirScriptsAndTheApiOnLoopback) {
  absl::StatusOr<std::unique_ptr<DashboardServer>> server =
      DashboardServer::Start({}, api_.get(), &changes_);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_THAT((*server)->url(), HasSubstr("http://127.0.0.1:"));
  httplib::Client client("127.0.0.1", (*server)->port());
  for (const char* page : {"/", "/sweeps/s-1", "/sweeps/s-1/trials/3", "/workers"}) {
    httplib::Result result = client.Get(page);
    ASSERT_TRUE(result) << page;
    EXPECT_EQ(result->status, 200) << page;
    EXPECT_THAT(result->body, HasSubstr("/assets/app.js")) << page;
  }
  httplib::Result script = client.Get("/assets/app.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->get_header_value("Content-Type"), "text/javascript");
  httplib::Result vega = client.Get("/assets/vega-lite.min.js");
  ASSERT_TRUE(vega);
  EXPECT_GT(vega->body.size(), 100000u) << "the charting library is compiled in";
  httplib::Result sweeps = client.Get("/api/v1/sweeps");
  ASSERT_TRUE(sweeps);
  EXPECT_EQ(sweeps->status, 200);
  EXPECT_EQ(sweeps->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(nlohmann::json::parse(sweeps->body)["sweeps"].size(), 0u);
  httplib::Result missing = client.Get("/api/v1/sweeps/nope?limit=3");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(nlohmann::json::parse(missing->body)["error"]["code"], "NOT_FOUND");
  httplib::Result bad = client.Get("/api/v1/changes?since=x");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  httplib::Result nowhere = client.Get("/no/such/page");
  ASSERT_TRUE(nowhere);
  EXPECT_EQ(nowhere->status, 404);
  EXPECT_THAT(nowhere->body, HasSubstr("no page /no/such/page"));
  (*server)->Stop();
}

TEST_F(DashboardServerTest, OffLoopbackItNeedsTlsAndUserTokens) {
  DashboardServerOptions open;
  open.listen = "0.0.0.0:0";
  absl::StatusOr<std::unique_ptr<DashboardServer>> refused =
      DashboardServer::Start(open, api_.get(), &changes_);
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("--http-listen 0.0.0.0:0 is not a loopback"));
  DashboardServerOptions clear_tokens;
  clear_tokens.tokens = std::make_shared<const TokenAuthorizer>(
      *TokenAuthorizer::FromTokens({}, {"a-user-token-of-some-length"}));
  EXPECT_THAT(DashboardServer::Start(clear_tokens, api_.get(), &changes_).status().message(),
              HasSubstr("user tokens need TLS"));
}

TEST_F(DashboardServerTest, WithTokensTheApiNeedsAUserTokenAndThePagesDoNot) {
  const std::string secrets = dir_.path() + "/secrets";
  ASSERT_TRUE(InitSecrets({secrets, {}}).ok());
  DashboardServerOptions options;
  options.tls_cert = secrets + "/server.pem";
  options.tls_key = secrets + "/server.key";
  options.tokens = std::make_shared<const TokenAuthorizer>(*TokenAuthorizer::FromFiles(
      {secrets + "/worker.token"}, {secrets + "/user.token"}));
  absl::StatusOr<std::unique_ptr<DashboardServer>> server =
      DashboardServer::Start(options, api_.get(), &changes_);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_THAT((*server)->url(), HasSubstr("https://"));
  httplib::SSLClient client("127.0.0.1", (*server)->port());
  client.set_ca_cert_path((secrets + "/ca.pem").c_str());
  client.enable_server_certificate_verification(true);
  httplib::Result page = client.Get("/");
  ASSERT_TRUE(page) << httplib::to_string(page.error());
  EXPECT_EQ(page->status, 200) << "the page holds no data";
  httplib::Result anonymous = client.Get("/api/v1/sweeps");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  EXPECT_EQ(nlohmann::json::parse(anonymous->body)["error"]["code"], "UNAUTHENTICATED");
  httplib::Result worker = client.Get(
      "/api/v1/sweeps", {{"Authorization", "Bearer " + FirstLine(secrets + "/worker.token")}});
  ASSERT_TRUE(worker);
  EXPECT_EQ(worker->status, 403) << "a worker's token does not read sweeps";
  httplib::Result user = client.Get(
      "/api/v1/sweeps", {{"Authorization", "Bearer " + FirstLine(secrets + "/user.token")}});
  ASSERT_TRUE(user);
  EXPECT_EQ(user->status, 200);
  (*server)->Stop();
}

}  // namespace
}  // namespace lrsweep
