#include "coordinator/server_security.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <memory>
#include <optional>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "coordinator/token_auth.h"
#include "grpcpp/security/server_credentials.h"
#include "rpc/client_security.h"

namespace lrsweep {
namespace {

std::vector<std::string> TokensFromEnv(const char* variable) {
  const char* value = std::getenv(variable);
  if (value == nullptr) return {};
  const std::string token(absl::StripAsciiWhitespace(value));
  if (token.empty()) return {};
  return {token};
}

// The token check for the options' files and the environment, or nullopt when no token is set.
absl::StatusOr<std::optional<TokenAuthorizer>> LoadTokens(const ServerSecurityOptions& options) {
  ASSIGN_OR_RETURN(TokenAuthorizer from_files, TokenAuthorizer::FromFiles(
                                                   options.worker_token_files,
                                                   options.user_token_files));
  const std::vector<std::string> worker_env = TokensFromEnv("LRSWEEP_WORKER_TOKEN");
  const std::vector<std::string> user_env = TokensFromEnv("LRSWEEP_USER_TOKEN");
  if (worker_env.empty() && user_env.empty()) {
    if (from_files.worker_token_count() + from_files.user_token_count() == 0) {
      return std::optional<TokenAuthorizer>();
    }
    return std::optional<TokenAuthorizer>(std::move(from_files));
  }
  if (!options.worker_token_files.empty() || !options.user_token_files.empty()) {
    return absl::InvalidArgumentError(
        "tokens are given both in files (--worker-token-file, --user-token-file) and in "
        "$LRSWEEP_WORKER_TOKEN / $LRSWEEP_USER_TOKEN: use one of the two.");
  }
  ASSIGN_OR_RETURN(TokenAuthorizer from_env, TokenAuthorizer::FromTokens(worker_env, user_env));
  return std::optional<TokenAuthorizer>(std::move(from_env));
}

absl::Status CheckTlsFlags(const ServerSecurityOptions& options) {
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert and --tls-key go together: the certificate and its private key.");
  }
  if (!options.tls_client_ca.empty() && options.tls_cert.empty()) {
    return absl::InvalidArgumentError(
        "--tls-client-ca needs TLS: give --tls-cert and --tls-key too.");
  }
  return absl::OkStatus();
}

// gRPC only logs a key that does not fit its certificate and then fails to listen, as if the
// port were taken: check the pair here and say which file is wrong.
absl::Status CheckCertificateAndKey(const std::string& cert_pem, const std::string& key_pem,
                                    const ServerSecurityOptions& options) {
  std::unique_ptr<BIO, decltype(&BIO_free)> cert_bio(
      BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())), &BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr), &X509_free);
  if (cert == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-cert ", options.tls_cert, ": holds no X.509 certificate."));
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(
      BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())), &BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  ERR_clear_error();
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls-key ", options.tls_key, ": holds no private key (an encrypted key is not "
        "supported: decrypt it, keep it mode 0600)."));
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls-key ", options.tls_key, " is not the key of the certificate in --tls-cert ",
        options.tls_cert, ": give the server.key made with that server.pem."));
  }
  if (X509_cmp_current_time(X509_get0_notAfter(cert.get())) < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls-cert ", options.tls_cert, ": the certificate has expired; make a new one "
        "(lrsweep-coordinator init-secrets NEW_DIR)."));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> TlsCredentials(
    const ServerSecurityOptions& options) {
  ASSIGN_OR_RETURN(std::string cert,
                   ReadPemFile(options.tls_cert, "--tls-cert " + options.tls_cert));
  ASSIGN_OR_RETURN(std::string key, ReadPemFile(options.tls_key, "--tls-key " + options.tls_key));
  RETURN_IF_ERROR(CheckCertificateAndKey(cert, key, options));
  grpc::SslServerCredentialsOptions tls(
      options.tls_client_ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                    : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  if (!options.tls_client_ca.empty()) {
    ASSIGN_OR_RETURN(tls.pem_root_certs, ReadPemFile(options.tls_client_ca,
                                                  "--tls-client-ca " + options.tls_client_ca));
  }
  tls.pem_key_cert_pairs.push_back({std::move(key), std::move(cert)});
  return grpc::SslServerCredentials(tls);
}

}  // namespace

bool IsLoopbackAddress(const std::string& listen) {
  return absl::StartsWith(listen, "127.") || absl::StartsWith(listen, "localhost:") ||
         absl::StartsWith(listen, "[::1]:");
}

void AddServerSecurityOptions(CLI::App& app, ServerSecurityOptions& options) {
  app.add_option("--tls-cert", options.tls_cert,
                 "Serve TLS with this certificate chain (PEM); see init-secrets");
  app.add_option("--tls-key", options.tls_key, "Private key (PEM) of --tls-cert");
  app.add_option("--tls-client-ca", options.tls_client_ca,
                 "Also require every client to present a certificate this CA (PEM) signed");
  app.add_option("--worker-token-file", options.worker_token_files,
                 "File of worker tokens, one per line: they may call only the worker RPCs "
                 "(or one token in $LRSWEEP_WORKER_TOKEN); needs TLS");
  app.add_option("--user-token-file", options.user_token_files,
                 "File of user tokens, one per line: they may submit, read, watch and cancel "
                 "sweeps (or one token in $LRSWEEP_USER_TOKEN); needs TLS");
  app.add_flag("--insecure", options.insecure,
               "Listen on a non-loopback address without TLS and tokens: only on a network "
               "where everyone who can reach the port is trusted");
}

absl::StatusOr<ServerSecurity> BuildServerSecurity(const ServerSecurityOptions& options,
                                                   const std::string& listen) {
  RETURN_IF_ERROR(CheckTlsFlags(options));
  ASSIGN_OR_RETURN(std::optional<TokenAuthorizer> tokens, LoadTokens(options));
  const bool tls = !options.tls_cert.empty();
  if (tokens.has_value() && !tls) {
    return absl::InvalidArgumentError(
        "tokens are set but TLS is not: they would travel in the clear. Give --tls-cert and "
        "--tls-key (lrsweep-coordinator init-secrets DIR makes a CA, a certificate and tokens).");
  }
  if (!IsLoopbackAddress(listen) && !(tls && tokens.has_value()) && !options.insecure) {
    return absl::InvalidArgumentError(absl::StrCat(
        "refusing to listen on ", listen, " without ", tls ? "tokens" : "TLS and tokens",
        ": anyone who can reach it could submit or cancel sweeps and pose as a worker. Run "
        "`lrsweep-coordinator init-secrets DIR` once, then start with --tls-cert DIR/server.pem "
        "--tls-key DIR/server.key --worker-token-file DIR/worker.token --user-token-file "
        "DIR/user.token (docs/operations.md); or give --insecure on a network you trust."));
  }
  ServerSecurity security;
  if (!tls) {
    security.credentials = grpc::InsecureServerCredentials();
    security.description = IsLoopbackAddress(listen) ? "plaintext, loopback only"
                                                     : "plaintext, no tokens (--insecure)";
    return security;
  }
  ASSIGN_OR_RETURN(security.credentials, TlsCredentials(options));
  security.description = absl::StrCat(
      "TLS", options.tls_client_ca.empty() ? "" : " with client certificates");
  if (tokens.has_value()) {
    absl::StrAppend(&security.description, ", tokens (", tokens->worker_token_count(),
                    " worker, ", tokens->user_token_count(), " user)");
    security.credentials->SetAuthMetadataProcessor(NewTokenAuthProcessor(std::move(*tokens)));
  }
  return security;
}

}  // namespace lrsweep
