// The coordinator's listening security: TLS, optional client certificates, and access tokens.
//
//   ServerSecurityOptions options;        // from --tls-cert, --tls-key, --tls-client-ca,
//   AddServerSecurityOptions(app, options);   // --worker-token-file, --user-token-file, --insecure
//   ...parse...
//   ASSIGN_OR_RETURN(ServerSecurity security, BuildServerSecurity(options, "0.0.0.0:7077"));
//   builder.AddListeningPort("0.0.0.0:7077", security.credentials, &port);
//
// The rules, so that a coordinator is never open to a network by accident:
// - Loopback (127.x, localhost, [::1]) needs nothing: `lrsweep run` stays zero-configuration.
// - Any other address needs TLS and tokens, or --insecure, which says the network is trusted.
// - Tokens need TLS (they would travel in the clear), wherever the coordinator listens.
// Tokens come from files (one per line) or from $LRSWEEP_WORKER_TOKEN / $LRSWEEP_USER_TOKEN,
// never from the command line, where `ps` shows them.
//
// Thread safety: plain values and stateless functions.
#ifndef LRSWEEP_COORDINATOR_SERVER_SECURITY_H_
#define LRSWEEP_COORDINATOR_SERVER_SECURITY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"

namespace CLI {
class App;
}

namespace lrsweep {

struct ServerSecurityOptions {
  std::string tls_cert;       // PEM certificate chain of the coordinator
  std::string tls_key;        // its private key
  std::string tls_client_ca;  // when set, clients must present a certificate this CA signed
  std::vector<std::string> worker_token_files;
  std::vector<std::string> user_token_files;
  bool insecure = false;  // allow a non-loopback address without TLS and tokens
};

struct ServerSecurity {
  std::shared_ptr<grpc::ServerCredentials> credentials;
  // One line for the start-up message: "TLS, client certificates, tokens (1 worker, 1 user)".
  std::string description;
};

void AddServerSecurityOptions(CLI::App& app, ServerSecurityOptions& options);

// Reads the files `options` names and applies the rules above for a server on `listen`
// (HOST:PORT). INVALID_ARGUMENT naming the flag, and what to do, when a rule is broken or a file
// cannot be read.
absl::StatusOr<ServerSecurity> BuildServerSecurity(const ServerSecurityOptions& options,
                                                   const std::string& listen);

// True for 127.0.0.0/8, localhost and [::1] (HOST:PORT).
bool IsLoopbackAddress(const std::string& listen);

}  // namespace lrsweep

#endif  // LRSWEEP_COORDINATOR_SERVER_SECURITY_H_
