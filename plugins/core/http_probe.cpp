// core.http.probe: one HTTP request through the host; passes when the status
// (and optionally the body) is what the step expects.
#include <algorithm>
#include <cstdint>
#include <pipewright/plugin_json.hpp>
#include <string>
#include <vector>

namespace {

std::string describe(const std::vector<std::int64_t>& statuses) {
  std::string out;
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    if (i > 0) out += i + 1 == statuses.size() ? " or " : ", ";
    out += std::to_string(statuses[i]);
  }
  return out;
}

struct HttpProbe {
  static constexpr pipewright::Kind kind = pipewright::Kind::check;
  static constexpr const char* name = "core.http.probe";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* description =
      "Sends one HTTP request and checks the response status and body";
  static constexpr const char* params_schema = R"json({
    "type": "object",
    "properties": {
      "url": {"type": "string", "minLength": 1},
      "method": {"type": "string", "default": "GET"},
      "expect_status": {
        "oneOf": [
          {"type": "integer", "minimum": 100, "maximum": 599},
          {"type": "array", "items": {"type": "integer", "minimum": 100, "maximum": 599}, "minItems": 1}
        ],
        "default": 200
      },
      "contains": {"type": "string", "description": "text the response body must contain"}
    },
    "required": ["url"],
    "additionalProperties": false
  })json";
  static constexpr const char* outputs_schema = R"json({
    "type": "object",
    "properties": {
      "status": {"type": "integer"},
      "duration_ms": {"type": "integer"}
    }
  })json";

  void run(pipewright::Call& call) {
    const auto with = pipewright::with_object(call);
    const auto* url = with.if_contains("url");
    if (url == nullptr || !url->is_string())
      throw pipewright::Failure("core.http.probe needs a `url` string", {}, "/url");
    std::string method = "GET";
    if (const auto* m = with.if_contains("method"); m && m->is_string()) method = m->as_string();

    std::vector<std::int64_t> expected;
    if (const auto* e = with.if_contains("expect_status")) {
      if (e->is_int64()) expected.push_back(e->as_int64());
      if (e->is_array())
        for (const auto& s : e->as_array())
          if (s.is_int64()) expected.push_back(s.as_int64());
      if (expected.empty())
        throw pipewright::Failure("expect_status must be an integer or an array of integers", {},
                                  "/expect_status");
    } else {
      expected.push_back(200);
    }

    boost::json::object request{{"method", method}, {"url", url->as_string()}};
    auto exchange = call.http(boost::json::serialize(request));
    auto response = pipewright::decode_response(exchange.meta_json, exchange.body);
    std::int64_t duration_ms = 0;
    {
      boost::system::error_code ec;
      auto meta = boost::json::parse(exchange.meta_json, ec);
      if (!ec && meta.is_object())
        if (const auto* d = meta.as_object().if_contains("duration_ms"); d && d->is_int64())
          duration_ms = d->as_int64();
    }
    const std::string target = method + " " + std::string(url->as_string());
    if (response.status == 0) {
      throw pipewright::Failure(
          target + ": no response (expected status " + describe(expected) + ")", response.error,
          "/url");
    }
    pipewright::set_output(call, "status", response.status);
    pipewright::set_output(call, "duration_ms", duration_ms);
    if (std::find(expected.begin(), expected.end(), response.status) == expected.end()) {
      throw pipewright::Failure(target + ": expected status " + describe(expected) + ", got " +
                                    std::to_string(response.status),
                                {}, "/expect_status");
    }
    if (const auto* c = with.if_contains("contains"); c && c->is_string()) {
      if (response.body.find(std::string_view(c->as_string())) == std::string::npos)
        throw pipewright::Failure(target + ": the response body does not contain the expected text",
                                  "body is " + std::to_string(response.body.size()) + " bytes",
                                  "/contains");
    }
  }
};

}  // namespace

PIPEWRIGHT_PLUGIN(HttpProbe)
