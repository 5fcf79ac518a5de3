// init-secrets: everything a secured coordinator needs, made in one command.
//
//   lrsweep-coordinator init-secrets /etc/lrsweep --host coord.example.org --host 10.1.2.3
//
// writes into DIR (created with mode 0700):
//   ca.pem        0644  a self-signed CA (10 years): give it to clients and workers (--tls-ca)
//   ca.key        0600  its key: keep it offline; it signs further certificates
//   server.pem    0644  the coordinator's certificate, for localhost, 127.0.0.1, ::1 and every
//   server.key    0600    --host (DNS name or IP address), signed by the CA (2 years)
//   client.pem    0644  a client certificate and key signed by the same CA, for coordinators
//   client.key    0600    started with --tls-client-ca (mutual TLS)
//   worker.token  0600  a worker token (256 random bits, hex): --worker-token-file / --token-file
//   user.token    0600  a user token: --user-token-file / the CLI's --token-file
// Keys are ECDSA P-256; certificates are signed with SHA-256. Nothing is ever overwritten: if
// any of the files exists the call fails before writing.
//
// Thread safety: stateless.
#ifndef LRSWEEP_COORDINATOR_INIT_SECRETS_H_
#define LRSWEEP_COORDINATOR_INIT_SECRETS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace lrsweep {

struct InitSecretsOptions {
  std::string dir;
  std::vector<std::string> hosts;  // besides localhost, 127.0.0.1 and ::1
};

// The files above. INVALID_ARGUMENT when a file exists already or a host is not a DNS name or IP
// address; INTERNAL when OpenSSL fails.
absl::Status InitSecrets(const InitSecretsOptions& options);

// The names of the files InitSecrets writes, in DIR order (for messages and tests).
std::vector<std::string> SecretFileNames();

}  // namespace lrsweep

#endif  // LRSWEEP_COORDINATOR_INIT_SECRETS_H_
