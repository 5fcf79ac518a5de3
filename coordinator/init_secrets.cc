#include "coordinator/init_secrets.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace lrsweep {
namespace {

template <typename T, void (*Free)(T*)>
struct OpenSslDeleter {
  void operator()(T* pointer) const { Free(pointer); }
};
using Key = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, OpenSslDeleter<X509, X509_free>>;
using Bio = std::unique_ptr<BIO, OpenSslDeleter<BIO, BIO_free_all>>;

constexpr long kDay = 24 * 60 * 60;

absl::Status OpenSslError(const std::string& what) {
  char buffer[256] = "unknown error";
  if (const unsigned long code = ERR_get_error(); code != 0) {
    ERR_error_string_n(code, buffer, sizeof(buffer));
  }
  return absl::InternalError(absl::StrCat(what, ": ", buffer));
}

absl::StatusOr<Key> NewKey() {
  Key key(EVP_EC_gen("P-256"));
  if (key == nullptr) return OpenSslError("generating a P-256 key");
  return key;
}

bool IsIpAddress(const std::string& host) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

// A DNS name: labels of letters, digits and '-', separated by dots (a leading "*." allowed).
bool IsDnsName(const std::string& host) {
  if (host.empty() || host.size() > 253) return false;
  for (char c : host) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '*') {
      return false;
    }
  }
  return host.front() != '.' && host.back() != '.' && host.front() != '-';
}

absl::Status AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
  if (extension == nullptr) return OpenSslError(absl::StrCat("certificate extension ", value));
  const int added = X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
  if (added != 1) return OpenSslError("adding a certificate extension");
  return absl::OkStatus();
}

struct CertSpec {
  std::string common_name;
  long days = 0;
  bool ca = false;
  std::string extended_usage;    // serverAuth / clientAuth; empty for the CA
  std::string alt_names;         // subjectAltName value, e.g. "DNS:localhost,IP:127.0.0.1"
};

// A certificate for `key` as `spec` says, signed by `issuer_key` (and named after `issuer`, or
// self-signed when `issuer` is null).
absl::StatusOr<Cert> NewCertificate(const CertSpec& spec, EVP_PKEY* key, X509* issuer,
                                    EVP_PKEY* issuer_key) {
  Cert cert(X509_new());
  if (cert == nullptr) return OpenSslError("X509_new");
  X509_set_version(cert.get(), 2);  // v3
  std::unique_ptr<BIGNUM, OpenSslDeleter<BIGNUM, BN_free>> serial(BN_new());
  if (serial == nullptr || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return OpenSslError("certificate serial number");
  }
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kDay);  // tolerate clock skew
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), spec.days * kDay);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("lrsweep"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1,
                             -1, 0);
  X509* signer = issuer == nullptr ? cert.get() : issuer;
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  if (X509_set_pubkey(cert.get(), key) != 1) return OpenSslError("X509_set_pubkey");
  RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_basic_constraints,
                               spec.ca ? "critical,CA:TRUE,pathlen:0" : "critical,CA:FALSE"));
  RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_key_usage,
                               spec.ca ? "critical,keyCertSign,cRLSign"
                                       : "critical,digitalSignature,keyAgreement"));
  RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_subject_key_identifier, "hash"));
  if (!spec.ca) {
    RETURN_IF_ERROR(
        AddExtension(cert.get(), signer, NID_authority_key_identifier, "keyid:always"));
    RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_ext_key_usage, spec.extended_usage));
  }
  if (!spec.alt_names.empty()) {
    RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_subject_alt_name, spec.alt_names));
  }
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0) return OpenSslError("X509_sign");
  return cert;
}

absl::StatusOr<std::string> Pem(const std::function<int(BIO*)>& write) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || write(bio.get()) != 1) return OpenSslError("writing PEM");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

absl::StatusOr<std::string> CertPem(X509* cert) {
  return Pem([cert](BIO* bio) { return PEM_write_bio_X509(bio, cert); });
}

absl::StatusOr<std::string> KeyPem(EVP_PKEY* key) {
  return Pem([key](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  });
}

absl::StatusOr<std::string> NewToken() {
  unsigned char random[32];
  if (RAND_bytes(random, sizeof(random)) != 1) return OpenSslError("RAND_bytes");
  return absl::BytesToHexString(
             absl::string_view(reinterpret_cast<const char*>(random), sizeof(random))) +
         "\n";
}

// Creates `path` with `mode` (never replacing a file), writes `text` and fsyncs it.
absl::Status WriteNewFile(const std::string& path, const std::string& text, mode_t mode) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", std::strerror(errno)));
  }
  fchmod(fd, mode);  // whatever the umask
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = errno;
      close(fd);
      return absl::InternalError(absl::StrCat(path, ": ", std::strerror(error)));
    }
    written += static_cast<size_t>(n);
  }
  const bool synced = fsync(fd) == 0;
  close(fd);
  if (!synced) return absl::InternalError(absl::StrCat(path, ": fsync failed"));
  return absl::OkStatus();
}

absl::StatusOr<std::string> AltNames(const std::vector<std::string>& hosts) {
  std::vector<std::string> names = {"DNS:localhost", "IP:127.0.0.1", "IP:::1"};
  for (const std::string& host : hosts) {
    if (IsIpAddress(host)) {
      names.push_back("IP:" + host);
    } else if (IsDnsName(host)) {
      names.push_back("DNS:" + host);
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "--host ", host, ": not a DNS name or an IP address (e.g. coord.example.org, "
          "10.1.2.3)."));
    }
  }
  return absl::StrJoin(names, ",");
}

struct Secrets {
  std::vector<std::pair<std::string, std::string>> files;  // name, contents, in write order
};

absl::StatusOr<Secrets> MakeSecrets(const InitSecretsOptions& options) {
  ASSIGN_OR_RETURN(std::string alt_names, AltNames(options.hosts));
  ASSIGN_OR_RETURN(Key ca_key, NewKey());
  ASSIGN_OR_RETURN(Cert ca, NewCertificate({"lrsweep CA", 3650, true, "", ""}, ca_key.get(),
                                           nullptr, ca_key.get()));
  ASSIGN_OR_RETURN(Key server_key, NewKey());
  const std::string server_name = options.hosts.empty() ? "localhost" : options.hosts.front();
  ASSIGN_OR_RETURN(Cert server,
                   NewCertificate({server_name, 730, false, "serverAuth", alt_names},
                                  server_key.get(), ca.get(), ca_key.get()));
  ASSIGN_OR_RETURN(Key client_key, NewKey());
  ASSIGN_OR_RETURN(Cert client,
                   NewCertificate({"lrsweep client", 730, false, "clientAuth", ""},
                                  client_key.get(), ca.get(), ca_key.get()));
  Secrets secrets;
  ASSIGN_OR_RETURN(std::string ca_pem, CertPem(ca.get()));
  ASSIGN_OR_RETURN(std::string ca_key_pem, KeyPem(ca_key.get()));
  ASSIGN_OR_RETURN(std::string server_pem, CertPem(server.get()));
  ASSIGN_OR_RETURN(std::string server_key_pem, KeyPem(server_key.get()));
  ASSIGN_OR_RETURN(std::string client_pem, CertPem(client.get()));
  ASSIGN_OR_RETURN(std::string client_key_pem, KeyPem(client_key.get()));
  ASSIGN_OR_RETURN(std::string worker_token, NewToken());
  ASSIGN_OR_RETURN(std::string user_token, NewToken());
  secrets.files = {{"ca.pem", ca_pem},         {"ca.key", ca_key_pem},
                   {"server.pem", server_pem}, {"server.key", server_key_pem},
                   {"client.pem", client_pem}, {"client.key", client_key_pem},
                   {"worker.token", worker_token}, {"user.token", user_token}};
  return secrets;
}

bool IsPublic(const std::string& name) { return absl::EndsWith(name, ".pem"); }

}  // namespace

std::vector<std::string> SecretFileNames() {
  return {"ca.pem",     "ca.key",     "server.pem",   "server.key",
          "client.pem", "client.key", "worker.token", "user.token"};
}

absl::Status InitSecrets(const InitSecretsOptions& options) {
  const std::filesystem::path dir(options.dir);
  for (const std::string& name : SecretFileNames()) {
    if (std::filesystem::exists(dir / name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          (dir / name).string(), " exists: init-secrets never overwrites secrets. Choose a new "
                                 "directory, or remove the old files first."));
    }
  }
  ASSIGN_OR_RETURN(Secrets secrets, MakeSecrets(options));
  std::error_code error;
  const bool created = std::filesystem::create_directories(dir, error);
  if (error) {
    return absl::InvalidArgumentError(absl::StrCat(options.dir, ": ", error.message()));
  }
  if (created) chmod(dir.c_str(), 0700);
  for (const auto& [name, contents] : secrets.files) {
    RETURN_IF_ERROR(WriteNewFile((dir / name).string(), contents, IsPublic(name) ? 0644 : 0600));
  }
  return absl::OkStatus();
}

}  // namespace lrsweep
