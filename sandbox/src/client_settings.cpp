// What a client needs to reach a sandbox, and DIR/sandbox.json that keeps it
// beside the state for `pipewright sandbox env`.
#include <signal.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cctype>
#include <fstream>
#include <pipewright/sandbox.hpp>
#include <sstream>
#include <stdexcept>

#include "state_settings.hpp"

namespace pw::sandbox {

namespace json = boost::json;
namespace fs = std::filesystem;

std::vector<ClientSetting> client_settings(const Server& server) {
  const Identity& id = server.identity();
  const std::string base = server.base_url();
  // Both base-URL names and both global-key names: wrangler and the
  // pipelines read the first, the TypeScript SDK and cloudflare-go the second.
  std::vector<ClientSetting> settings{{"base_url", "CLOUDFLARE_API_BASE_URL", base, false},
          {"base_url", "CLOUDFLARE_BASE_URL", base, false},
          {"email", "CLOUDFLARE_EMAIL", id.email, false},
          {"global_key", "CLOUDFLARE_GLOBAL_KEY", id.global_key, true},
          {"global_key", "CLOUDFLARE_API_KEY", id.global_key, true},
          {"account_id", "CLOUDFLARE_ACCOUNT_ID", id.account_id, false},
          {"zone_id", "CLOUDFLARE_ZONE_ID", id.zone_id, false},
          {"zone_name", "CLOUDFLARE_ZONE_NAME", id.zone_name, false},
          {"r2_s3_endpoint", "CLOUDFLARE_R2_ENDPOINT", server.r2_s3_endpoint(), false},
          {"account_name", "", id.account_name, false},
          {"user_id", "", id.user_id, false}};
  if (auto edge = server.edge_url(); !edge.empty())
    settings.insert(settings.end() - 2, ClientSetting{"edge_url", "CLOUDFLARE_EDGE_URL", edge, false});
  return settings;
}

std::string shell_quote(std::string_view value) {
  bool plain = !value.empty();
  for (char c : value)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || std::string_view("@%+=:,./_-").find(c) != std::string_view::npos))
      plain = false;
  if (plain) return std::string(value);
  std::string quoted = "'";
  for (char c : value) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

void write_state_settings(const fs::path& state_dir, const std::vector<ClientSetting>& settings) {
  json::array list;
  for (const auto& s : settings)
    list.push_back({{"key", s.key}, {"env", s.env}, {"value", s.value}, {"secret", s.secret}});
  const std::string text = json::serialize(json::object{{"pid", static_cast<std::int64_t>(::getpid())},
                                                        {"settings", std::move(list)}});
  const fs::path file = state_dir / "sandbox.json";
  const fs::path temp = state_dir / "sandbox.json.tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text << "\n";
    if (!out.flush()) throw std::runtime_error("cannot write " + temp.string());
  }
  // The demo global key is in it: only its owner reads it, like the database.
  fs::permissions(temp, fs::perms::owner_read | fs::perms::owner_write);
  fs::rename(temp, file);
}

std::optional<StateSettings> read_state_settings(const fs::path& state_dir) {
  const fs::path file = state_dir / "sandbox.json";
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  json::value v = json::parse(text.str(), ec);
  const json::object* o = v.if_object();
  const json::array* list = o ? (o->if_contains("settings") ? o->at("settings").if_array() : nullptr) : nullptr;
  if (ec || !list) throw std::runtime_error(file.string() + " is not what a sandbox writes; delete it and start the sandbox again");
  StateSettings out;
  for (const auto& item : *list) {
    const json::object* s = item.if_object();
    if (!s) continue;
    auto str = [s](std::string_view k) {
      const auto* x = s->if_contains(k);
      return x && x->is_string() ? std::string(x->as_string()) : std::string();
    };
    const auto* secret = s->if_contains("secret");
    out.settings.push_back({str("key"), str("env"), str("value"), secret && secret->is_bool() && secret->as_bool()});
  }
  if (const auto* pid = o->if_contains("pid"); pid && pid->is_int64()) out.pid = static_cast<long>(pid->as_int64());
  out.running = out.pid > 0 && ::kill(static_cast<pid_t>(out.pid), 0) == 0;
  return out;
}

}  // namespace pw::sandbox
