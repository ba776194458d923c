#include "wire/envelope.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <stdexcept>

namespace pw::sandbox {
namespace json = boost::json;
namespace {

json::object error_json(const ErrorItem& e) {
  json::object o{{"code", e.code}, {"message", e.message}};
  if (!e.error_chain.empty()) {
    json::array chain;
    for (const auto& c : e.error_chain) chain.push_back(error_json(c));
    o["error_chain"] = std::move(chain);
  }
  return o;
}

Response json_response(unsigned status, const json::object& body) {
  Response r;
  r.status = status;
  r.body = json::serialize(body);
  return r;
}

}  // namespace

Response ok_with(json::value result, std::optional<json::value> result_info, json::array messages,
                 unsigned status) {
  if (status < 200 || status > 299) throw std::logic_error("ok() needs a 2xx status");
  json::object body{{"success", true},
                    {"errors", json::array()},
                    {"messages", std::move(messages)},
                    {"result", std::move(result)}};
  if (result_info) body["result_info"] = std::move(*result_info);
  return json_response(status, body);
}

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  std::size_t plain = 0;  // start of the run not yet copied
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.substr(plain, i - plain));
    plain = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 0xF];
    }
  }
  out.append(text.substr(plain));
  out += '"';
}

std::string ok_text_open(std::size_t result_size_hint) {
  std::string body;
  body.reserve(result_size_hint + 256);
  body.append(R"({"success":true,"errors":[],"messages":[],"result":)");
  return body;
}

Response ok_text_close(std::string body, std::string_view result_info_json) {
  body.append(R"(,"result_info":)").append(result_info_json).append("}");
  Response r;
  r.body = std::move(body);
  return r;
}

Response ok_text(std::string_view result_json, std::string_view result_info_json) {
  std::string body = ok_text_open(result_json.size() + result_info_json.size());
  body.append(result_json);
  return ok_text_close(std::move(body), result_info_json);
}

Response ok(json::value result, unsigned status) {
  return ok_with(std::move(result), std::nullopt, {}, status);
}

Response ok(json::value result, json::value result_info, unsigned status) {
  return ok_with(std::move(result), std::move(result_info), {}, status);
}

Response fail(unsigned status, std::vector<ErrorItem> errors) {
  if (status < 400) throw std::logic_error("fail() needs a 4xx/5xx status");
  json::array arr;
  for (const auto& e : errors) arr.push_back(error_json(e));
  return json_response(status, json::object{{"success", false},
                                            {"errors", std::move(arr)},
                                            {"messages", json::array()},
                                            {"result", nullptr}});
}

Response fail(unsigned status, std::int64_t code, std::string message) {
  return fail(status, {ErrorItem{code, std::move(message), {}}});
}

Response no_route(std::string_view path) {
  std::string p(path);
  constexpr std::string_view prefix = "/client/v4";
  if (p.rfind(prefix, 0) == 0) p = p.substr(prefix.size());
  return fail(
      400, {{7003, "Could not route to " + p + ", perhaps your object identifier is invalid?", {}},
            {7000, "No route for that URI", {}}});
}

Response not_emulated(std::string_view method, std::string_view pattern) {
  // The route pattern without the router's markers: {zone_id:id} -> {zone_id}.
  std::string p;
  constexpr std::string_view prefix = "/client/v4";
  if (pattern.starts_with(prefix)) pattern.remove_prefix(prefix.size());
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern.substr(i).starts_with(":id}")) {
      p += '}';
      i += 3;
    } else if (pattern.substr(i).starts_with("*}")) {
      p += '}';
      i += 1;
    } else {
      p += pattern[i];
    }
  }
  return fail(501, 10501,
              std::string(method) + " " + p +
                  " is a Cloudflare API endpoint that the pipewright sandbox does not emulate");
}

Response auth_error() { return fail(403, 10000, "Authentication error"); }
Response user_level_denied() {
  return fail(403, 9109, "Unauthorized to access requested resource");
}
Response malformed_json() { return fail(400, 6007, "Malformed JSON in request body"); }
Response internal_error() { return fail(500, 10001, "Internal error in the sandbox; see its log"); }

Outcome<json::value> parse_json(const std::string& body, const Response& malformed) {
  if (std::all_of(body.begin(), body.end(),
                  [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }))
    return json::value(json::object());
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return malformed;
  return v;
}

PageRequest page_request(const Request& req, std::int64_t default_per_page,
                         std::int64_t min_per_page, std::int64_t max_per_page) {
  auto number = [&](std::string_view name, std::int64_t fallback) {
    auto v = req.query_param(name);
    if (!v) return fallback;
    try {
      return static_cast<std::int64_t>(std::stoll(*v));
    } catch (...) {
      return fallback;
    }
  };
  PageRequest p;
  p.page = std::clamp<std::int64_t>(number("page", 1), 1, 1000000);  // no overflow in page * per_page
  p.per_page = std::clamp(number("per_page", default_per_page), min_per_page, max_per_page);
  return p;
}

Response paged(const json::array& all, const PageRequest& p) {
  json::array page;
  auto total = static_cast<std::int64_t>(all.size());
  for (std::int64_t i = (p.page - 1) * p.per_page; i < std::min(total, p.page * p.per_page); ++i)
    page.push_back(all[static_cast<std::size_t>(i)]);
  std::int64_t total_pages = (total + p.per_page - 1) / p.per_page;
  json::object info{{"page", p.page},
                    {"per_page", p.per_page},
                    {"count", static_cast<std::int64_t>(page.size())},
                    {"total_count", total},
                    {"total_pages", total_pages}};
  return ok(std::move(page), std::move(info));
}

}  // namespace pw::sandbox
