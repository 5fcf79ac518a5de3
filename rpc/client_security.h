// How the CLI and the workers reach a coordinator that uses TLS and tokens.
//
// A coordinator started with --tls-cert/--tls-key and token files accepts only TLS connections
// whose calls carry a bearer token ("authorization: Bearer <token>" metadata). A client names the
// CA that signed the coordinator's certificate and its token; both may come from flags or from
// the environment, and the token never from the command line, where `ps` would show it:
//
//   ClientSecurityFlags flags;                 // --tls-ca, --tls-cert, --tls-key, --token-file
//   ASSIGN_OR_RETURN(ClientSecurity security, LoadClientSecurity(flags));   // + LRSWEEP_* env
//   std::shared_ptr<grpc::Channel> channel = NewChannel("coord.example:7077", security);
//
// Environment (used where the flag is not given): LRSWEEP_TLS_CA, LRSWEEP_TLS_CERT,
// LRSWEEP_TLS_KEY, LRSWEEP_TOKEN_FILE, and LRSWEEP_TOKEN (the token itself).
//
// A default ClientSecurity is plaintext without a token: the loopback coordinator of `lrsweep
// run`. A token without a CA is refused (it would travel in the clear).
//
// Thread safety: plain values and stateless functions.
#ifndef LRSWEEP_RPC_CLIENT_SECURITY_H_
#define LRSWEEP_RPC_CLIENT_SECURITY_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"

namespace CLI {
class App;
}

namespace lrsweep {

// The paths a user gives on the command line; empty means "not given".
struct ClientSecurityFlags {
  std::string tls_ca;      // PEM: the CA that signed the coordinator's certificate
  std::string tls_cert;    // PEM: this client's certificate (coordinators that ask for one)
  std::string tls_key;     // PEM: its private key
  std::string token_file;  // a file whose first line is the token
  std::string tls_server_name;  // the name to check the certificate for, if not the address's
};

// What a channel is built from: file contents, not paths.
struct ClientSecurity {
  bool tls = false;
  std::string ca_pem;
  std::string cert_pem;
  std::string key_pem;
  std::string token;
  std::string server_name;
  std::string ca_source;  // where ca_pem came from, for messages ("--tls-ca /etc/lrsweep/ca.pem")
};

// Reads the files `flags` and the LRSWEEP_* environment name. INVALID_ARGUMENT naming the flag
// or variable when a file cannot be read, a certificate comes without its key, or a token comes
// without a CA.
absl::StatusOr<ClientSecurity> LoadClientSecurity(const ClientSecurityFlags& flags);

// Adds --tls-ca, --tls-cert, --tls-key, --token-file and --tls-server-name to `app`.
void AddClientSecurityOptions(CLI::App& app, ClientSecurityFlags& flags);

// A channel with lrsweep's limits and reconnect backoff (rpc/status.h's NewChannel), over TLS with
// the token attached to every call when `security` says so.
std::shared_ptr<grpc::Channel> NewChannel(const std::string& address,
                                          const ClientSecurity& security);

// What to check when the coordinator cannot be reached over a channel of `security`, as a
// sentence to append to the message: gRPC reports a certificate its CA did not sign, or a TLS
// client meeting a plaintext server, only as "failed to connect".
std::string ConnectionHint(const ClientSecurity& security);

// The contents of the PEM file `path`. INVALID_ARGUMENT, naming `what` ("--tls-ca /x/ca.pem"),
// when it cannot be read or holds no PEM block.
absl::StatusOr<std::string> ReadPemFile(const std::string& path, const std::string& what);

// The first line of `path`, trimmed: a token file. INVALID_ARGUMENT if it cannot be read or is
// empty; the message starts with `what`, the flag or variable and the path
// ("--token-file /etc/lrsweep/user.token").
absl::StatusOr<std::string> ReadTokenFile(const std::string& path, const std::string& what);

}  // namespace lrsweep

#endif  // LRSWEEP_RPC_CLIENT_SECURITY_H_
