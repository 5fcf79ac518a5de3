#include "rpc/client_security.h"

#include <cstdlib>
#include <fstream>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/atomic_file.h"
#include "common/status_macros.h"
#include "rpc/status.h"

namespace lrsweep {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

// The flag's value if given, else the variable's; `source` says which, for messages.
std::string FlagOrEnv(const std::string& flag_value, const char* flag, const char* variable,
                      std::string* source) {
  if (!flag_value.empty()) {
    *source = absl::StrCat(flag, " ", flag_value);
    return flag_value;
  }
  std::string value = Env(variable);
  *source = absl::StrCat("$", variable, " (", value, ")");
  return value;
}

}  // namespace

absl::StatusOr<std::string> ReadPemFile(const std::string& path, const std::string& what) {
  absl::StatusOr<std::string> text = ReadBinaryFile(path);
  if (!text.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": cannot read the file. Give the path of a PEM file (lrsweep-"
                           "coordinator init-secrets DIR makes them)."));
  }
  if (text->find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": not a PEM file (no -----BEGIN line)."));
  }
  return text;
}

absl::StatusOr<std::string> ReadTokenFile(const std::string& path, const std::string& what) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": cannot read a token from it. Give a file whose first line is the "
                     "token (lrsweep-coordinator init-secrets DIR makes them)."));
  }
  std::string token(absl::StripAsciiWhitespace(line));
  if (token.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": the first line is empty; it must hold the token."));
  }
  return token;
}

absl::StatusOr<ClientSecurity> LoadClientSecurity(const ClientSecurityFlags& flags) {
  ClientSecurity security;
  std::string ca_source, cert_source, key_source, token_source;
  const std::string ca = FlagOrEnv(flags.tls_ca, "--tls-ca", "LRSWEEP_TLS_CA", &ca_source);
  const std::string cert =
      FlagOrEnv(flags.tls_cert, "--tls-cert", "LRSWEEP_TLS_CERT", &cert_source);
  const std::string key = FlagOrEnv(flags.tls_key, "--tls-key", "LRSWEEP_TLS_KEY", &key_source);
  const std::string token_file =
      FlagOrEnv(flags.token_file, "--token-file", "LRSWEEP_TOKEN_FILE", &token_source);
  if (!ca.empty()) {
    ASSIGN_OR_RETURN(security.ca_pem, ReadPemFile(ca, ca_source));
    security.tls = true;
    security.ca_source = ca_source;
  }
  if (cert.empty() != key.empty()) {
    return absl::InvalidArgumentError(
        "a client certificate needs its key: give both --tls-cert and --tls-key (or "
        "$LRSWEEP_TLS_CERT and $LRSWEEP_TLS_KEY).");
  }
  if (!cert.empty()) {
    if (!security.tls) {
      return absl::InvalidArgumentError(
          "--tls-cert needs --tls-ca: the CA that signed the coordinator's certificate.");
    }
    ASSIGN_OR_RETURN(security.cert_pem, ReadPemFile(cert, cert_source));
    ASSIGN_OR_RETURN(security.key_pem, ReadPemFile(key, key_source));
  }
  if (!token_file.empty()) {
    ASSIGN_OR_RETURN(security.token, ReadTokenFile(token_file, token_source));
  } else {
    security.token = std::string(absl::StripAsciiWhitespace(Env("LRSWEEP_TOKEN")));
    token_source = "$LRSWEEP_TOKEN";
  }
  if (!security.token.empty() && !security.tls) {
    return absl::InvalidArgumentError(absl::StrCat(
        token_source, " gives a token but no CA is given: a token is only sent over TLS. Give "
                      "--tls-ca (or $LRSWEEP_TLS_CA) with the coordinator's CA certificate."));
  }
  security.server_name = flags.tls_server_name;
  return security;
}

void AddClientSecurityOptions(CLI::App& app, ClientSecurityFlags& flags) {
  app.add_option("--tls-ca", flags.tls_ca,
                 "CA certificate (PEM) that signed the coordinator's: connect over TLS "
                 "(default: $LRSWEEP_TLS_CA)");
  app.add_option("--tls-cert", flags.tls_cert,
                 "Client certificate (PEM), for a coordinator that asks for one "
                 "(default: $LRSWEEP_TLS_CERT)");
  app.add_option("--tls-key", flags.tls_key,
                 "Private key of --tls-cert (default: $LRSWEEP_TLS_KEY)");
  app.add_option("--token-file", flags.token_file,
                 "File whose first line is the access token (default: $LRSWEEP_TOKEN_FILE, or "
                 "the token itself in $LRSWEEP_TOKEN)");
  app.add_option("--tls-server-name", flags.tls_server_name,
                 "Check the coordinator's certificate for this name instead of the address's host");
}

std::shared_ptr<grpc::Channel> NewChannel(const std::string& address,
                                          const ClientSecurity& security) {
  if (!security.tls) return NewChannel(address);
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = security.ca_pem;
  tls.pem_cert_chain = security.cert_pem;
  tls.pem_private_key = security.key_pem;
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::SslCredentials(tls);
  if (!security.token.empty()) {
    // Sent as "authorization: Bearer <token>" on every call of the channel.
    credentials = grpc::CompositeChannelCredentials(
        credentials, grpc::AccessTokenCredentials(security.token));
  }
  grpc::ChannelArguments args = ChannelArgumentsWithLimits();
  if (!security.server_name.empty()) {
    args.SetSslTargetNameOverride(security.server_name);
  }
  return grpc::CreateCustomChannel(address, credentials, args);
}

std::string ConnectionHint(const ClientSecurity& security) {
  if (!security.tls) {
    return " If the coordinator serves TLS (it was started with --tls-cert), give --tls-ca "
           "(or $LRSWEEP_TLS_CA) and a token.";
  }
  return absl::StrCat(
      " Over TLS, check that the coordinator serves TLS (--tls-cert), that its certificate is "
      "signed by the CA of ",
      security.ca_source,
      " and names the host you connect to (or give --tls-server-name), and that a coordinator "
      "asking for client certificates gets --tls-cert and --tls-key.");
}

}  // namespace lrsweep
