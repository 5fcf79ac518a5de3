// A coordinator with TLS and tokens, as an operator starts it from `init-secrets`: a sweep runs
// end to end over TLS; calls without a token, with the wrong role's token, or trusting the wrong
// CA are refused with messages that say why; the health service answers probes without a token.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "rpc/status.h"
#include "tests/integration/local_cluster.h"

namespace lrsweep::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kTinySweep[] = R"(name: tiny
train:
  model: {type: mlp, hidden: [4]}
  data: {type: synthetic, train_examples: 64, val_fraction: 0.25}
  steps: 6
  batch_size: 16
schedule: {type: cosine, lr: 0.1}
parameters:
  - schedule.lr: [0.05, 0.1]
)";

// The files of `lrsweep-coordinator init-secrets DIR`, made by the binary as an operator would.
class Secrets {
 public:
  Secrets() {
    const CommandResult made =
        RunBinary("lrsweep-coordinator", "init-secrets " + dir_.path() + "/s");
    EXPECT_EQ(made.exit_code, 0) << made.err;
    EXPECT_THAT(made.out, HasSubstr("--worker-token-file"));
  }
  std::string operator()(const std::string& name) const { return dir_.path() + "/s/" + name; }

  std::vector<std::string> CoordinatorFlags() const {
    return {"--tls-cert", (*this)("server.pem"), "--tls-key", (*this)("server.key"),
            "--worker-token-file", (*this)("worker.token"), "--user-token-file",
            (*this)("user.token")};
  }
  std::vector<std::string> WorkerFlags() const {
    return {"--tls-ca", (*this)("ca.pem"), "--token-file", (*this)("worker.token")};
  }
  // A client trusting this CA, with the token in `token_file` (empty: none).
  ClientSecurity Client(const std::string& token_file) const {
    ClientSecurityFlags flags;
    flags.tls_ca = (*this)("ca.pem");
    if (!token_file.empty()) flags.token_file = (*this)(token_file);
    absl::StatusOr<ClientSecurity> security = LoadClientSecurity(flags);
    EXPECT_TRUE(security.ok()) << security.status();
    return security.ok() ? *security : ClientSecurity{};
  }

 private:
  TempDir dir_;
};

// A port nothing listens on now (bound and released by the kernel's choice).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

grpc::health::v1::HealthCheckResponse::ServingStatus Probe(
    const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(10));
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status = stub->Check(&context, {}, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.status();
}

TEST(SecureClusterTest, ASweepRunsEndToEndOverTlsWithTokens) {
  Secrets secrets;
  LocalCluster cluster({.coordinator_flags = secrets.CoordinatorFlags(),
                        .client_security = secrets.Client("user.token")});
  cluster.StartWorker(secrets.WorkerFlags());
  const std::string sweep = cluster.Submit(kTinySweep);
  ASSERT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(120)));
  for (const v1::TrialInfo& trial : cluster.Trials(sweep)) {
    EXPECT_EQ(trial.state(), v1::COMPLETED) << trial.ShortDebugString();
  }
  // The CLI with the CA and the user token reads the sweep; without the token it is refused.
  const std::string tls = " --coordinator " + cluster.address() + " --tls-ca " + secrets("ca.pem");
  const CommandResult status = RunLrsweep("status " + sweep + tls + " --token-file " +
                                          secrets("user.token"));
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr("COMPLETED"));
  const CommandResult anonymous = RunLrsweep("status" + tls);
  EXPECT_EQ(anonymous.exit_code, 1);
  EXPECT_THAT(anonymous.err, HasSubstr("needs an access token"));
}

TEST(SecureClusterTest, CallsWithoutATokenOrWithTheWrongRolesTokenAreRefused) {
  Secrets secrets;
  LocalCluster cluster({.coordinator_flags = secrets.CoordinatorFlags(),
                        .client_security = secrets.Client("user.token")});
  const std::string sweep = cluster.Submit(kTinySweep);

  CoordinatorClient anonymous(cluster.address(), absl::Seconds(10), secrets.Client(""));
  const absl::Status no_token = anonymous.ListSweeps().status();
  EXPECT_TRUE(absl::IsUnauthenticated(no_token)) << no_token;

  CoordinatorClient as_worker(cluster.address(), absl::Seconds(10), secrets.Client("worker.token"));
  const absl::Status worker_cancels = as_worker.Cancel(sweep).status();
  EXPECT_TRUE(absl::IsPermissionDenied(worker_cancels)) << worker_cancels;
  EXPECT_THAT(worker_cancels.message(), HasSubstr("CancelSweep"));
  // Nothing was cancelled.
  EXPECT_EQ(cluster.client().GetSweep(sweep)->state(), v1::SWEEP_RUNNING);

  // A worker with the user token cannot register: it exits saying why.
  const int worker = cluster.StartWorker({"--tls-ca", secrets("ca.pem"), "--token-file",
                                          secrets("user.token")});
  EXPECT_EQ(cluster.WaitWorker(worker, absl::Seconds(30)), 1);
  EXPECT_THAT(cluster.WorkerLog(worker), HasSubstr("a user token may not call"));
}

TEST(SecureClusterTest, TrustingAnotherCaFailsWithAMessageThatSaysSo) {
  Secrets secrets, other;
  LocalCluster cluster({.coordinator_flags = secrets.CoordinatorFlags(),
                        .client_security = secrets.Client("user.token")});
  CoordinatorClient wrong_ca(cluster.address(), absl::Seconds(5), other.Client("user.token"));
  const absl::Status status = wrong_ca.ListSweeps().status();
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("signed by the CA of --tls-ca " + other("ca.pem")));
  // A plaintext client meeting the TLS port is told to give --tls-ca.
  const CommandResult plain = RunLrsweep("status --coordinator " + cluster.address());
  EXPECT_EQ(plain.exit_code, 1);
  EXPECT_THAT(plain.err, HasSubstr("give --tls-ca"));
}

TEST(SecureClusterTest, ClientCertificatesAreRequiredWhenAskedFor) {
  Secrets secrets;
  std::vector<std::string> flags = secrets.CoordinatorFlags();
  flags.insert(flags.end(), {"--tls-client-ca", secrets("ca.pem")});
  ClientSecurity with_certificate = secrets.Client("user.token");
  with_certificate.cert_pem = *ReadBinaryFile(secrets("client.pem"));
  with_certificate.key_pem = *ReadBinaryFile(secrets("client.key"));
  LocalCluster cluster({.coordinator_flags = flags, .client_security = with_certificate});
  EXPECT_TRUE(cluster.client().ListSweeps().ok());
  CoordinatorClient without(cluster.address(), absl::Seconds(5), secrets.Client("user.token"));
  EXPECT_TRUE(absl::IsUnavailable(without.ListSweeps().status()));
}

TEST(SecureClusterTest, HealthAnswersWithoutATokenOnTheTlsPortAndThePlaintextHealthPort) {
  Secrets secrets;
  const int health_port = FreePort();
  std::vector<std::string> flags = secrets.CoordinatorFlags();
  flags.insert(flags.end(), {"--health-listen", absl::StrCat("127.0.0.1:", health_port)});
  LocalCluster cluster({.coordinator_flags = flags,
                        .client_security = secrets.Client("user.token")});
  EXPECT_EQ(Probe(NewChannel(cluster.address(), secrets.Client(""))),
            grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(Probe(NewChannel(absl::StrCat("127.0.0.1:", health_port))),
            grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST(SecureClusterTest, ANonLoopbackAddressWithoutTlsAndTokensIsRefusedUnlessInsecure) {
  TempDir dir;
  const CommandResult refused =
      RunBinary("lrsweep-coordinator", "--listen 0.0.0.0:0 --data-dir " + dir.path());
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.err, HasSubstr("refusing to listen on 0.0.0.0:0 without TLS and tokens"));
  EXPECT_THAT(refused.err, HasSubstr("--insecure"));
  // Nothing was created or locked in the data dir.
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/lrsweep.db"));
}

}  // namespace
}  // namespace lrsweep::testing
