#include <pipewright/util/sigv4.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <pipewright/util/text.hpp>

namespace pw::sigv4 {
namespace {

std::string hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &length);
  return std::string(reinterpret_cast<const char*>(out), length);
}

// Header values are signed trimmed, with inner runs of spaces as one.
std::string trimmed(std::string_view value) {
  std::string out;
  bool space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// Lower-case names, sorted; values of one name joined with commas in the
// order they came.
std::vector<std::pair<std::string, std::string>> canonical_headers(const Fields& headers) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : headers) {
    std::string key = util::lower(name);
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& h) { return h.first == key; });
    if (it == out.end())
      out.emplace_back(std::move(key), trimmed(value));
    else
      it->second += "," + trimmed(value);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::string uri_encode(std::string_view text, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                            c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 15];
    }
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return util::hex(digest, length);
}

std::string signed_headers(const Request& request) {
  std::string out;
  for (const auto& [name, value] : canonical_headers(request.headers)) out += (out.empty() ? "" : ";") + name;
  return out;
}

std::string canonical_request(const Request& request) {
  std::vector<std::pair<std::string, std::string>> query;
  for (const auto& [name, value] : request.query) query.emplace_back(uri_encode(name, false), uri_encode(value, false));
  std::sort(query.begin(), query.end());
  std::string out = request.method + "\n" + uri_encode(request.path.empty() ? "/" : request.path, true) + "\n";
  for (std::size_t i = 0; i < query.size(); ++i) out += (i ? "&" : "") + query[i].first + "=" + query[i].second;
  out += "\n";
  for (const auto& [name, value] : canonical_headers(request.headers)) out += name + ":" + value + "\n";
  return out + "\n" + signed_headers(request) + "\n" + request.payload_hash;
}

std::string string_to_sign(std::string_view amz_date, const Scope& scope, std::string_view canonical) {
  return "AWS4-HMAC-SHA256\n" + std::string(amz_date) + "\n" + scope.text() + "\n" + sha256_hex(canonical);
}

std::string signature(std::string_view secret_access_key, const Scope& scope, std::string_view to_sign) {
  std::string key = hmac("AWS4" + std::string(secret_access_key), scope.date);
  key = hmac(key, scope.region);
  key = hmac(key, scope.service);
  key = hmac(key, "aws4_request");
  const std::string mac = hmac(key, to_sign);
  OPENSSL_cleanse(key.data(), key.size());
  return util::hex(mac);
}

std::string authorization(std::string_view access_key_id, std::string_view secret_access_key, const Scope& scope,
                          std::string_view amz_date, const Request& request) {
  const std::string sig = signature(secret_access_key, scope, string_to_sign(amz_date, scope, canonical_request(request)));
  return "AWS4-HMAC-SHA256 Credential=" + std::string(access_key_id) + "/" + scope.text() +
         ",SignedHeaders=" + signed_headers(request) + ",Signature=" + sig;
}

std::optional<Authorization> parse_authorization(std::string_view header) {
  constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256 ";
  if (!header.starts_with(kAlgorithm)) return std::nullopt;
  header.remove_prefix(kAlgorithm.size());
  Authorization out;
  bool credential = false, headers = false, sig = false;
  while (!header.empty()) {
    const std::size_t comma = header.find(',');
    std::string_view part = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    const std::size_t eq = part.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string_view name = part.substr(0, eq), value = part.substr(eq + 1);
    if (name == "Credential") {
      // KEY/DATE/REGION/SERVICE/aws4_request; the key itself may not hold '/'.
      std::vector<std::string> pieces;
      for (std::size_t start = 0;;) {
        const std::size_t slash = value.find('/', start);
        pieces.emplace_back(value.substr(start, slash - start));
        if (slash == std::string_view::npos) break;
        start = slash + 1;
      }
      if (pieces.size() != 5 || pieces[4] != "aws4_request" || pieces[0].empty() || pieces[1].size() != 8)
        return std::nullopt;
      out.access_key_id = pieces[0];
      out.scope = Scope{pieces[1], pieces[2], pieces[3]};
      credential = true;
    } else if (name == "SignedHeaders") {
      for (std::size_t start = 0;;) {
        const std::size_t semi = value.find(';', start);
        std::string piece(value.substr(start, semi - start));
        if (piece.empty()) return std::nullopt;
        out.signed_headers.push_back(util::lower(piece));
        if (semi == std::string_view::npos) break;
        start = semi + 1;
      }
      headers = true;
    } else if (name == "Signature") {
      if (value.size() != 64) return std::nullopt;
      out.signature = std::string(value);
      sig = true;
    }
  }
  if (!credential || !headers || !sig) return std::nullopt;
  return out;
}

bool same_signature(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace pw::sigv4
