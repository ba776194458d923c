#include <pipewright/cloudflare/api.hpp>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace pipewright::cloudflare {
namespace json = boost::json;

namespace {

void flatten_errors(const json::array& items, std::vector<ApiError>& out, int depth = 0) {
  for (const auto& item : items) {
    if (!item.is_object()) continue;
    const auto& error = item.as_object();
    ApiError e;
    if (const auto* code = error.if_contains("code")) {
      if (code->is_int64()) e.code = code->as_int64();
      else if (code->is_uint64()) e.code = static_cast<long long>(code->as_uint64());
      else if (code->is_string()) e.code = std::atoll(code->as_string().c_str());
    }
    e.message = string_at(error, "message");
    out.push_back(std::move(e));
    if (depth < 8) {
      if (const auto* chain = array_at(error, "error_chain")) flatten_errors(*chain, out, depth + 1);
    }
  }
}

}  // namespace

ApiResult& ApiResult::operator=(ApiResult&& other) noexcept {
  if (this == &other) return *this;
  status = other.status;
  success = other.success;
  std::destroy_at(&result);
  std::construct_at(&result, std::move(other.result));
  result_info = std::move(other.result_info);
  errors = std::move(other.errors);
  transport_error = std::move(other.transport_error);
  outcome = std::move(other.outcome);
  body = std::move(other.body);
  headers = std::move(other.headers);
  attempts = other.attempts;
  hint = std::move(other.hint);
  return *this;
}

bool ApiResult::has_error(long long code) const noexcept {
  for (const auto& e : errors)
    if (e.code == code) return true;
  return false;
}

long long ApiResult::first_error_code() const noexcept { return errors.empty() ? 0 : errors.front().code; }

bool ApiResult::forbidden() const noexcept { return status == 403 && (has_error(10000) || has_error(9109)); }

ApiResult decode(const Response& response) { return decode(Response(response)); }

ApiResult decode(Response&& response) {
  ApiResult r;
  r.status = response.status;
  r.headers = std::move(response.headers);
  r.body = std::move(response.body);
  r.transport_error = std::move(response.error);
  r.outcome = response.outcome.empty() ? (response.status ? "ok" : "failed") : response.outcome;
  r.attempts = response.attempts;
  if (r.status == 0) return r;

  bool envelope_success = true;
  boost::system::error_code ec;
  // One arena per answer: a list of a thousand objects is ten thousand small
  // nodes, allocated and released together. The result keeps the arena alive
  // (the storage pointer is shared), so it is constructed in place with it
  // rather than assigned (assignment would copy into the default storage).
  auto parsed = json::parse(r.body, ec, json::make_shared_resource<json::monotonic_resource>());
  if (!ec && parsed.is_object()) {
    auto& envelope = parsed.as_object();
    if (auto* s = envelope.if_contains("success"); s && s->is_bool()) envelope_success = s->as_bool();
    if (auto* v = envelope.if_contains("result")) {
      std::destroy_at(&r.result);
      std::construct_at(&r.result, std::move(*v));
    }
    if (const auto* info = object_at(envelope, "result_info")) r.result_info = *info;
    if (const auto* errors = array_at(envelope, "errors")) flatten_errors(*errors, r.errors);
  }
  r.success = r.status >= 200 && r.status < 300 && envelope_success;
  return r;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
  }
}

std::string describe(const ApiResult& result) {
  const std::string hint = result.hint.empty() ? std::string() : ". " + result.hint;
  if (result.status == 0) {
    std::string error = result.transport_error.empty() ? "no response" : result.transport_error;
    if (result.unknown_outcome())
      return "no answer: the connection broke after the request was sent (" + error +
             "), so it may or may not have taken effect" + hint;
    return "no response: " + error + hint;
  }
  std::string out = std::to_string(result.status);
  if (auto phrase = reason_phrase(result.status); !phrase.empty()) {
    out.push_back(' ');
    out += phrase;
  }
  std::string details;
  for (const auto& e : result.errors) {
    if (!details.empty()) details += "; ";
    details += e.message.empty() ? std::string("error") : e.message;
    details += " (" + std::to_string(e.code) + ")";
  }
  if (!details.empty()) out += ": " + details;
  // The host's word on a retry it did not make ("not retried: ...").
  if (!result.transport_error.empty()) out += " (" + result.transport_error + ")";
  return out + hint;
}

Client::Client(const Call& call) : call_(call), base_(base_url_from_context(call.context_json())) {}

Client::Client(const Call& call, std::string base_url) : call_(call), base_(std::move(base_url)) {
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
}

namespace {

// The host's request object for `request`; its raw body goes to `body`.
json::object request_object(const std::string& base, const Request& request, std::string& body) {
  json::object r;
  r["method"] = request.method;
  std::string path = request.path;
  if (!path.empty() && path.front() != '/') path.insert(path.begin(), '/');
  r["url"] = base + path;
  json::object headers = request.headers;
  if (request.json) {
    body = json::serialize(*request.json);
    headers["Content-Type"] = "application/json";
  } else {
    body = request.body;
    if (!request.content_type.empty()) headers["Content-Type"] = request.content_type;
  }
  if (!headers.empty()) r["headers"] = std::move(headers);
  if (request.body_file) r["body_file"] = *request.body_file;
  if (request.safe_to_retry) r["safe_to_retry"] = *request.safe_to_retry;
  if (request.timeout_ms > 0) r["timeout_ms"] = request.timeout_ms;
  if (!request.step_auth) r["step_auth"] = false;
  return r;
}

}  // namespace

ApiResult Client::request(const Request& request) const {
  std::string body;
  auto r = request_object(base_, request, body);
  auto result = decode(http(call_, r, body));
  annotate(result);
  return result;
}

void Client::annotate(ApiResult& result) const {
  if (result.status == 0 && result.transport_error.find("connection refused") != std::string::npos)
    result.hint = "Nothing answers at " + base_ + ": check the API base URL (CLOUDFLARE_API_BASE_URL)";
  else if (result.status == 404 && !std::string_view(base_).ends_with("/client/v4"))
    result.hint = "The API base URL " + base_ +
                  " does not end in /client/v4, as Cloudflare's (https://api.cloudflare.com/client/v4) and the "
                  "sandbox's do: check CLOUDFLARE_API_BASE_URL";
}

Created Client::create_once(const Request& create, const std::function<std::optional<json::value>()>& find,
                            std::string_view what, int max_sends) const {
  Created out;
  for (int send = 1;; ++send) {
    call_.throw_if_cancelled();
    out.result = request(create);
    const bool unknown = out.result.unknown_outcome() || out.result.status >= 500;
    if (!unknown || send >= max_sends) return out;
    call_.warn("creating " + std::string(what) + " ended without a clear answer (" + describe(out.result) +
               "); checking whether it exists before sending it again");
    std::optional<json::value> found;
    try {
      found = find();
    } catch (const Failure& e) {
      throw Failure("creating " + std::string(what) +
                        " ended without a clear answer, and checking whether it was made failed too",
                    std::string(e.what()) + (e.detail().empty() ? "" : ": " + e.detail()) +
                        ". Nothing was sent again; run the step again once the API answers: it looks "
                        "before it creates",
                    e.pointer());
    }
    if (found) {
      call_.info("found " + std::string(what) + ": the lost request had made it; using it");
      out.adopted = std::move(found);
      return out;
    }
    // Nothing was made: send again, after a pause that lets a struggling API recover.
    for (int slept = 0; slept < 250 * send; slept += 50) {
      call_.throw_if_cancelled();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

std::vector<ApiResult> Client::batch(const std::vector<Request>& requests, int concurrency) const {
  std::vector<ApiResult> results(requests.size());
  if (requests.empty()) return results;
  json::array list;
  for (const auto& request : requests) {
    std::string body;
    auto r = request_object(base_, request, body);
    if (!body.empty()) r["body"] = std::move(body);
    list.push_back(std::move(r));
  }
  json::object batch{{"requests", std::move(list)}};
  if (concurrency > 0) batch["concurrency"] = concurrency;
  std::vector<bool> answered(requests.size(), false);
  call_.http_batch(json::serialize(batch), [&](std::string_view meta, std::string_view body) {
    boost::system::error_code ec;
    auto parsed = json::parse(meta, ec);
    const json::value* index = !ec && parsed.is_object() ? parsed.as_object().if_contains("index") : nullptr;
    if (!index || !index->is_int64() || index->as_int64() < 0 ||
        static_cast<std::size_t>(index->as_int64()) >= requests.size())
      return;
    auto i = static_cast<std::size_t>(index->as_int64());
    results[i] = decode(decode_response(meta, body));
    annotate(results[i]);
    answered[i] = true;
  });
  for (std::size_t i = 0; i < requests.size(); ++i)
    if (!answered[i]) {
      results[i].transport_error = "no answer from the host";
      results[i].outcome = "failed";
    }
  return results;
}

ApiResult Client::get(std::string_view path) const {
  Request r;
  r.path = std::string(path);
  return request(r);
}

ApiResult Client::send(std::string_view method, std::string_view path, const json::value& json_body,
                       std::optional<bool> safe_to_retry) const {
  Request r;
  r.method = std::string(method);
  r.path = std::string(path);
  r.json = json_body;
  r.safe_to_retry = safe_to_retry;
  return request(r);
}

ApiResult Client::list_pages(std::string_view path, json::array& items, int per_page, int max_pages) const {
  if (max_pages < 1) return {};
  call_.throw_if_cancelled();
  return list_pages(path, items, per_page, max_pages,
                    get(with_query(std::string(path), {{"page", "1"}, {"per_page", std::to_string(per_page)}})));
}

ApiResult Client::list_pages(std::string_view path, json::array& items, int per_page, int max_pages,
                             ApiResult page_one) const {
  ApiResult last = std::move(page_one);
  for (int page = 1;; ++page) {
    if (!last.ok()) return last;
    if (!last.result.is_array() || last.result.as_array().empty()) return last;
    for (auto& item : last.result.as_array()) items.push_back(item);
    // A short page with total_pages reached is the end; otherwise ask on
    // until an empty page, as the API's own SDK does.
    const auto* total_pages = last.result_info.if_contains("total_pages");
    if (total_pages && total_pages->is_int64() && page >= total_pages->as_int64() &&
        static_cast<int>(last.result.as_array().size()) < per_page)
      return last;
    if (page >= max_pages) return last;
    call_.throw_if_cancelled();
    last = get(with_query(std::string(path), {{"page", std::to_string(page + 1)},
                                              {"per_page", std::to_string(per_page)}}));
  }
}

ApiResult Client::list_cursor(std::string_view path, json::array& items, std::string_view items_key,
                              int per_page, int max_pages) const {
  return list_cursor(path, [&items](json::value& item) { items.push_back(std::move(item)); }, items_key, per_page,
                     max_pages);
}

ApiResult Client::list_cursor(std::string_view path, const std::function<void(json::value&)>& each,
                              std::string_view items_key, int per_page, int max_pages) const {
  if (max_pages < 1) return {};
  std::string cursor;
  for (int page = 1;; ++page) {
    call_.throw_if_cancelled();
    std::string target(path);
    if (per_page > 0) target = with_query(std::move(target), {{"per_page", std::to_string(per_page)}});
    if (!cursor.empty()) target = with_query(std::move(target), {{"cursor", cursor}});
    ApiResult last = get(target);
    if (!last.ok()) return last;
    json::array* page_items = nullptr;
    if (items_key.empty()) {
      if (last.result.is_array()) page_items = &last.result.as_array();
    } else if (last.result.is_object()) {
      if (auto* v = last.result.as_object().if_contains(items_key); v && v->is_array())
        page_items = &v->as_array();
    }
    if (page_items)
      for (auto& item : *page_items) each(item);
    std::string next = string_at(last.result_info, "cursor");
    if (next.empty() || next == cursor || page >= max_pages) return last;
    cursor = std::move(next);
  }
}

std::string string_at(const json::object& object, std::string_view key) {
  if (const auto* v = object.if_contains(key); v && v->is_string()) return std::string(v->as_string());
  return {};
}

const json::object* object_at(const json::object& object, std::string_view key) {
  if (const auto* v = object.if_contains(key); v && v->is_object()) return &v->as_object();
  return nullptr;
}

const json::array* array_at(const json::object& object, std::string_view key) {
  if (const auto* v = object.if_contains(key); v && v->is_array()) return &v->as_array();
  return nullptr;
}

bool bool_at(const json::object& object, std::string_view key, bool fallback) {
  if (const auto* v = object.if_contains(key); v && v->is_bool()) return v->as_bool();
  return fallback;
}

}  // namespace pipewright::cloudflare
