#include "worker_upload.hpp"

#include <openssl/evp.h>
#include <pipewright/util/text.hpp>

#include <array>
#include <memory>
#include <stdexcept>

namespace pipewright::cloudflare::worker {
namespace {

constexpr std::string_view marker = "// pipewright:deploy-hash=";

void append_part_header(std::string& out, std::string_view boundary, std::string_view name,
                        std::string_view content_type) {
  out += "--";
  out += boundary;
  out += "\r\nContent-Disposition: form-data; name=\"";
  out += name;
  out += "\"; filename=\"";
  out += name;
  out += "\"\r\nContent-Type: ";
  out += content_type;
  out += "\r\n\r\n";
}

bool is_hex(std::string_view text) {
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

std::string multipart_body(std::string_view metadata_json, const Module& module, std::string_view boundary) {
  std::string out;
  out.reserve(metadata_json.size() + module.content.size() + 512);
  append_part_header(out, boundary, "metadata", "application/json");
  out += metadata_json;
  out += "\r\n";
  append_part_header(out, boundary, module.name, "application/javascript+module");
  out += module.content;
  out += "\r\n--";
  out += boundary;
  out += "--\r\n";
  return out;
}

std::string boundary_for(std::string_view metadata_json, const Module& module) {
  auto seed = sha256_hex(std::string(metadata_json) + module.content);
  for (int attempt = 0;; ++attempt) {
    auto boundary = "pipewright-" + seed.substr(0, 32);
    if (metadata_json.find(boundary) == std::string_view::npos &&
        module.content.find(boundary) == std::string::npos)
      return boundary;
    seed = sha256_hex(seed + std::to_string(attempt));
  }
}

std::string sha256_hex(std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest;
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("OpenSSL could not compute a SHA-256 digest");
  return pw::util::hex(digest.data(), length);
}

std::string deploy_hash(std::string_view metadata_json, const Module& module) {
  std::string text(metadata_json);
  text.push_back('\0');
  text += module.name;
  text.push_back('\0');
  text += module.content;
  return sha256_hex(text);
}

std::string with_hash_marker(std::string_view content, std::string_view hash) {
  std::string out(content);
  if (!out.empty() && out.back() != '\n') out.push_back('\n');
  out += marker;
  out += hash;
  out.push_back('\n');
  return out;
}

std::string find_hash_marker(std::string_view deployed) {
  auto at = deployed.rfind(marker);
  if (at == std::string_view::npos) return {};
  auto hash = deployed.substr(at + marker.size(), 64);
  return hash.size() == 64 && is_hex(hash) ? std::string(hash) : std::string();
}

bool valid_module_name(std::string_view name) {
  if (name.empty() || name.front() == '.') return false;
  for (char c : name)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-'))
      return false;
  return name.ends_with(".js") || name.ends_with(".mjs");
}

}  // namespace pipewright::cloudflare::worker
