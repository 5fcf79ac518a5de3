// Who may call what (TokenAuthorizer), the listening rules (BuildServerSecurity), and the files
// init-secrets writes: checked without a server.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "coordinator/init_secrets.h"
#include "coordinator/server_security.h"
#include "coordinator/token_auth.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rpc/client_security.h"
#include "tests/unit/test_util.h"

namespace lrsweep::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kWorkerToken[] = "worker-0123456789abcdef";
constexpr char kUserToken[] = "user-0123456789abcdef";
constexpr char kCancel[] = "/lrsweep.v1.SweepService/CancelSweep";
constexpr char kHeartbeat[] = "/lrsweep.v1.WorkerService/Heartbeat";

TokenAuthorizer Tokens() {
  absl::StatusOr<TokenAuthorizer> tokens =
      TokenAuthorizer::FromTokens({kWorkerToken}, {kUserToken});
  EXPECT_TRUE(tokens.ok()) << tokens.status();
  return *std::move(tokens);
}

std::string Bearer(const std::string& token) { return "Bearer " + token; }

TEST(TokenAuthorizerTest, EachRoleCallsOnlyItsOwnService) {
  const TokenAuthorizer tokens = Tokens();
  EXPECT_TRUE(tokens.Authorize(kHeartbeat, Bearer(kWorkerToken)).ok());
  EXPECT_TRUE(tokens.Authorize(kCancel, Bearer(kUserToken)).ok());
  const absl::Status worker_cancels = tokens.Authorize(kCancel, Bearer(kWorkerToken));
  EXPECT_TRUE(absl::IsPermissionDenied(worker_cancels)) << worker_cancels;
  EXPECT_THAT(worker_cancels.message(), HasSubstr("needs a user token"));
  const absl::Status user_heartbeats = tokens.Authorize(kHeartbeat, Bearer(kUserToken));
  EXPECT_TRUE(absl::IsPermissionDenied(user_heartbeats)) << user_heartbeats;
  EXPECT_TRUE(absl::IsPermissionDenied(
      tokens.Authorize("/other.Service/Method", Bearer(kUserToken))));
}

TEST(TokenAuthorizerTest, MissingMalformedOrUnknownTokensAreUnauthenticated) {
  const TokenAuthorizer tokens = Tokens();
  const absl::Status none = tokens.Authorize(kCancel, "");
  EXPECT_TRUE(absl::IsUnauthenticated(none)) << none;
  EXPECT_THAT(none.message(), HasSubstr("--token-file"));
  EXPECT_TRUE(absl::IsUnauthenticated(tokens.Authorize(kCancel, kUserToken)));  // no "Bearer "
  const absl::Status unknown = tokens.Authorize(kCancel, Bearer("user-0123456789abcdeX"));
  EXPECT_TRUE(absl::IsUnauthenticated(unknown)) << unknown;
  // The message never repeats what was presented.
  EXPECT_THAT(unknown.message(), Not(HasSubstr("0123456789abcdeX")));
  EXPECT_TRUE(absl::IsUnauthenticated(tokens.Authorize(kCancel, Bearer(""))));
}

TEST(TokenAuthorizerTest, HealthChecksNeedNoToken) {
  EXPECT_TRUE(Tokens().Authorize("/grpc.health.v1.Health/Check", "").ok());
}

TEST(TokenAuthorizerTest, ShortOrSharedTokensAreRefused) {
  const auto short_token = TokenAuthorizer::FromTokens({"short"}, {});
  EXPECT_TRUE(absl::IsInvalidArgument(short_token.status()));
  EXPECT_THAT(short_token.status().message(), HasSubstr("at least 16"));
  const auto shared = TokenAuthorizer::FromTokens({kUserToken}, {kUserToken});
  EXPECT_TRUE(absl::IsInvalidArgument(shared.status()));
}

TEST(TokenAuthorizerTest, TokenFilesHoldOneTokenPerLineForRotation) {
  TempDir dir;
  const std::string file =
      dir.Write("user.token", std::string("# rotated on Monday\n") + kUserToken +
                                  "\n\n  user-fedcba9876543210  \n");
  absl::StatusOr<TokenAuthorizer> tokens = TokenAuthorizer::FromFiles({}, {file});
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  EXPECT_EQ(tokens->user_token_count(), 2u);
  EXPECT_TRUE(tokens->Authorize(kCancel, Bearer("user-fedcba9876543210")).ok());
  const auto missing = TokenAuthorizer::FromFiles({dir.path() + "/nope"}, {});
  EXPECT_THAT(missing.status().message(), HasSubstr("--worker-token-file " + dir.path() + "/nope"));
}

TEST(ServerSecurityTest, LoopbackNeedsNothingAndOtherAddressesNeedTlsAndTokens) {
  EXPECT_TRUE(BuildServerSecurity({}, "127.0.0.1:0").ok());
  EXPECT_TRUE(BuildServerSecurity({}, "[::1]:7077").ok());
  const auto open = BuildServerSecurity({}, "0.0.0.0:7077");
  EXPECT_TRUE(absl::IsInvalidArgument(open.status()));
  EXPECT_THAT(open.status().message(), HasSubstr("refusing to listen on 0.0.0.0:7077"));
  EXPECT_THAT(open.status().message(), HasSubstr("init-secrets"));
  ServerSecurityOptions insecure;
  insecure.insecure = true;
  absl::StatusOr<ServerSecurity> allowed = BuildServerSecurity(insecure, "0.0.0.0:7077");
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  EXPECT_THAT(allowed->description, HasSubstr("--insecure"));
}

TEST(ServerSecurityTest, TokensWithoutTlsAreRefusedEvenOnLoopback) {
  TempDir dir;
  ServerSecurityOptions options;
  options.user_token_files = {dir.Write("user.token", kUserToken)};
  const auto refused = BuildServerSecurity(options, "127.0.0.1:0");
  EXPECT_TRUE(absl::IsInvalidArgument(refused.status()));
  EXPECT_THAT(refused.status().message(), HasSubstr("in the clear"));
}

TEST(InitSecretsTest, WritesCertificatesAndTokensWithPrivateModesAndNeverOverwrites) {
  TempDir dir;
  const std::string secrets = dir.path() + "/secrets";
  ASSERT_TRUE(InitSecrets({secrets, {"coord.example.org", "10.1.2.3"}}).ok());
  for (const std::string& name : SecretFileNames()) {
    struct stat info {};
    ASSERT_EQ(stat((secrets + "/" + name).c_str(), &info), 0) << name;
    const bool is_public = name.size() > 4 && name.substr(name.size() - 4) == ".pem";
    EXPECT_EQ(info.st_mode & 0777, is_public ? 0644u : 0600u) << name;
  }
  struct stat info {};
  ASSERT_EQ(stat(secrets.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  absl::StatusOr<std::string> token = ReadTokenFile(secrets + "/worker.token", "test");
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->size(), 64u);  // 256 bits, hex
  // The made server certificate and key are accepted as they are.
  ServerSecurityOptions options;
  options.tls_cert = secrets + "/server.pem";
  options.tls_key = secrets + "/server.key";
  options.worker_token_files = {secrets + "/worker.token"};
  options.user_token_files = {secrets + "/user.token"};
  absl::StatusOr<ServerSecurity> security = BuildServerSecurity(options, "0.0.0.0:7077");
  ASSERT_TRUE(security.ok()) << security.status();
  EXPECT_EQ(security->description, "TLS, tokens (1 worker, 1 user)");

  const absl::Status again = InitSecrets({secrets, {}});
  EXPECT_TRUE(absl::IsInvalidArgument(again)) << again;
  EXPECT_THAT(again.message(), HasSubstr("never overwrites"));
  EXPECT_EQ(*ReadTokenFile(secrets + "/worker.token", "test"), *token);
  EXPECT_TRUE(absl::IsInvalidArgument(InitSecrets({dir.path() + "/x", {"bad host!"}})));
}

TEST(ServerSecurityTest, AKeyThatIsNotTheCertificatesIsABadFlagNamingIt) {
  TempDir dir;
  ASSERT_TRUE(InitSecrets({dir.path() + "/a", {}}).ok());
  ASSERT_TRUE(InitSecrets({dir.path() + "/b", {}}).ok());
  ServerSecurityOptions options;
  options.tls_cert = dir.path() + "/a/server.pem";
  options.tls_key = dir.path() + "/b/server.key";
  const auto mismatched = BuildServerSecurity(options, "127.0.0.1:0");
  EXPECT_TRUE(absl::IsInvalidArgument(mismatched.status()));
  EXPECT_THAT(mismatched.status().message(),
              HasSubstr("is not the key of the certificate in --tls-cert " + options.tls_cert));
  options.tls_key = dir.path() + "/a/ca.pem";  // a certificate where the key should be
  EXPECT_THAT(BuildServerSecurity(options, "127.0.0.1:0").status().message(),
              HasSubstr("holds no private key"));
}

TEST(ClientSecurityTest, ATokenWithoutACaIsRefused) {
  TempDir dir;
  ClientSecurityFlags flags;
  flags.token_file = dir.Write("user.token", kUserToken);
  const auto refused = LoadClientSecurity(flags);
  EXPECT_TRUE(absl::IsInvalidArgument(refused.status()));
  EXPECT_THAT(refused.status().message(), HasSubstr("only sent over TLS"));
  flags.token_file.clear();
  flags.tls_ca = dir.path() + "/missing.pem";
  EXPECT_THAT(LoadClientSecurity(flags).status().message(),
              HasSubstr("--tls-ca " + dir.path() + "/missing.pem"));
}

}  // namespace
}  // namespace lrsweep::testing
