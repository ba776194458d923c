// cloudflare.site.check: fetches a tenant's pages the way a visitor would —
// `/` and every file of the site directory (an even sample above `sample`
// files) — and compares each answer with the file: status 200, the same
// bytes, the Content-Type the upload gave it. Through a local edge
// (`edge_url`, with the tenant's Host header), else from
// https://<hostname>/ once the custom hostname is active.
#include <pipewright/cloudflare/api.hpp>
#include <pipewright/plugin_json.hpp>
#include <pipewright/util/text.hpp>

#include "site_files.hpp"

#include <openssl/evp.h>

#include <string>
#include <vector>

namespace {
namespace json = boost::json;
namespace cf = pipewright::cloudflare;
namespace site = pipewright::cloudflare::site;
using pipewright::Failure;

std::string md5_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

// "/" + every segment percent-encoded, '/' literal.
std::string url_path(std::string_view relative) {
  std::string out = "/";
  for (unsigned char c : relative) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      static const char* hex = "0123456789ABCDEF";
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string media_type(std::string_view content_type) {
  std::string out;
  for (char c : content_type)
    if (c != ' ') out += c;
  return pw::util::lower(out);
}

struct Expected {
  std::string url_path, file, relative;
};

struct SiteCheck {
  static constexpr pipewright::Kind kind = pipewright::Kind::check;
  static constexpr const char* name = "cloudflare.site.check";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* description =
      "Fetches a deployed site's pages through the edge and compares them with the uploaded files";
  static constexpr const char* params_schema = R"json({
    "type": "object",
    "properties": {
      "directory": {"type": "string", "minLength": 1, "description": "the site directory that was uploaded"},
      "hostname": {"type": "string", "minLength": 1, "description": "the tenant's hostname"},
      "edge_url": {"type": "string",
                   "description": "a local edge (http://127.0.0.1:PORT) reached with Host: <hostname>; empty: https://<hostname>"},
      "hostname_status": {"type": "string",
                          "description": "the custom hostname's status; anything but active (or empty) skips the check"},
      "sample": {"type": "integer", "minimum": 1, "default": 200,
                 "description": "check at most this many files (an even spread, index.html and 404.html always)"},
      "skip_hidden": {"type": "boolean", "default": false},
      "concurrency": {"type": "integer", "minimum": 1, "maximum": 64, "default": 8}
    },
    "required": ["directory", "hostname"],
    "additionalProperties": false
  })json";
  static constexpr const char* outputs_schema = R"({
    "type": "object",
    "properties": {
      "checked": {"type": "integer"},
      "failed": {"type": "integer"},
      "skipped": {"type": "boolean"},
      "url": {"type": "string"},
      "failures": {"type": "array"}
    }
  })";

  void run(pipewright::Call& call) {
    const auto with = pipewright::with_object(call);
    const auto hostname = cf::string_at(with, "hostname");
    const auto edge = cf::string_at(with, "edge_url");
    const auto status = cf::string_at(with, "hostname_status");
    const bool skip_hidden = cf::bool_at(with, "skip_hidden", false);
    std::size_t sample = 200;
    int concurrency = 8;
    if (const auto* v = with.if_contains("sample"); v && v->is_int64()) sample = static_cast<std::size_t>(v->as_int64());
    if (const auto* v = with.if_contains("concurrency"); v && v->is_int64()) concurrency = static_cast<int>(v->as_int64());
    // The edge, like Cloudflare, serves a custom hostname only once it is active.
    if (!status.empty() && status != "active") {
      call.warn("site check skipped: " + hostname + " is " + status + "; its pages are checked at " +
                (edge.empty() ? "https://" + hostname + "/" : edge + " (Host: " + hostname + ")") +
                " once it is active (run the deploy again then, or with wait_active)");
      pipewright::set_output(call, "checked", json::value(0));
      pipewright::set_output(call, "failed", json::value(0));
      pipewright::set_output(call, "skipped", json::value(true));
      pipewright::set_output(call, "url", json::value("https://" + hostname + "/"));
      pipewright::set_output(call, "failures", json::array{});
      return;
    }
    std::string base = edge.empty() ? "https://" + hostname : edge;
    while (!base.empty() && base.back() == '/') base.pop_back();

    std::filesystem::path root = cf::string_at(with, "directory");
    site::WalkResult walked;
    try {
      walked = site::walk(root, skip_hidden);
    } catch (const std::exception& e) {
      throw Failure("cannot read the site directory " + root.string(), e.what(), "/directory");
    }
    std::vector<Expected> expected;
    for (const auto& f : walked.files)
      if (f.relative == "index.html") expected.push_back({"/", f.absolute, "index.html"});
    // An even spread over the sorted files, index.html and 404.html always.
    const std::size_t n = walked.files.size();
    const std::size_t step = n > sample ? (n + sample - 1) / sample : 1;
    for (std::size_t i = 0; i < n; ++i) {
      const auto& f = walked.files[i];
      if (i % step == 0 || f.relative == "index.html" || f.relative == "404.html")
        expected.push_back({url_path(f.relative), f.absolute, f.relative});
    }

    const cf::Client client(call, base);
    std::vector<cf::Request> requests;
    for (const auto& e : expected) {
      cf::Request r;
      r.path = e.url_path;
      r.step_auth = false;
      if (!edge.empty()) r.headers["Host"] = hostname;
      requests.push_back(std::move(r));
    }
    // The first page alone: a site nobody can reach (a hostname whose DNS
    // does not lead to Cloudflare yet) fails once, not once per page with
    // every page's retries.
    std::vector<cf::ApiResult> answers;
    if (!requests.empty()) {
      answers = client.batch({requests.front()}, 1);
      if (answers.front().status == 0)
        throw Failure("cannot reach " + base + " to check the pages of " + hostname,
                      answers.front().transport_error +
                          "; point the hostname's DNS at the zone, give edge_url (CLOUDFLARE_EDGE_URL), "
                          "or run with check_site false",
                      "/hostname");
      requests.erase(requests.begin());
      for (auto& answer : client.batch(requests, concurrency)) answers.push_back(std::move(answer));
    }
    json::array failures;
    std::string summary;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const auto& e = expected[i];
      const auto& got = answers[i];
      std::string file_md5;
      try {
        file_md5 = site::md5_file(e.file);
      } catch (const std::exception& ex) {
        throw Failure("cannot read " + e.file, ex.what(), "/directory");
      }
      const std::string want_type(site::content_type_for(e.relative));
      const auto* served_type = got.headers.if_contains("content-type");
      const std::string type = served_type && served_type->is_string() ? std::string(served_type->as_string()) : "";
      const std::string served_md5 = md5_hex(got.body);
      std::string problem;
      if (got.status != 200) {
        problem = "expected 200 with " + e.relative + ", served " +
                  (got.status ? std::to_string(got.status) : "no answer (" + got.transport_error + ")");
        if (!got.body.empty()) problem += ": " + got.body.substr(0, 120);
      } else if (served_md5 != file_md5) {
        problem = "expected the bytes of " + e.relative + " (MD5 " + file_md5 + ", " +
                  std::to_string(std::filesystem::file_size(e.file)) + " bytes), served MD5 " + served_md5 + " (" +
                  std::to_string(got.body.size()) + " bytes)";
      } else if (media_type(type) != media_type(want_type)) {
        problem = "expected Content-Type " + want_type + ", served " + (type.empty() ? "none" : type);
      }
      if (problem.empty()) continue;
      failures.push_back(json::object{{"path", e.url_path}, {"problem", problem}});
      summary += "\n  " + e.url_path + ": " + problem;
    }
    const auto checked = static_cast<std::int64_t>(expected.size());
    pipewright::set_output(call, "checked", json::value(checked));
    pipewright::set_output(call, "failed", json::value(static_cast<std::int64_t>(failures.size())));
    pipewright::set_output(call, "skipped", json::value(false));
    pipewright::set_output(call, "url", json::value(base + "/"));
    const auto failed = failures.size();
    pipewright::set_output(call, "failures", json::value(std::move(failures)));
    if (failed)
      throw Failure(std::to_string(failed) + " of " + std::to_string(checked) + " pages of " + hostname +
                        " are not served as uploaded (through " + base + ")",
                    summary.substr(1), "/hostname");
    call.info(std::to_string(checked) + "/" + std::to_string(checked) + " pages of " + hostname +
              " served as uploaded (through " + base + ")");
  }
};

}  // namespace

PIPEWRIGHT_PLUGIN(SiteCheck)
