// core.dotenv.write: sets keys in a .env file, atomically. The original file
// is either fully replaced or untouched; values never appear in any message.
// A file that already holds the values (with the requested mode) is left
// alone: not rewritten, not flushed, its timestamps kept.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <pipewright/plugin_json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "dotenv_format.hpp"

namespace {

namespace fs = std::filesystem;
using pipewright::Failure;

std::string errno_text(int err) { return std::strerror(err); }

// Owns a temp file until it is renamed into place; removes it otherwise.
class TempFile {
 public:
  explicit TempFile(const fs::path& target) {
    std::string pattern =
        (target.parent_path() / ("." + target.filename().string() + ".tmpXXXXXX")).string();
    fd_ = ::mkstemp(pattern.data());
    if (fd_ < 0)
      throw Failure("cannot create a temporary file next to " + target.string(), errno_text(errno),
                    "/path");
    path_ = pattern;
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  void close() {
    int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0) throw Failure("cannot write " + path_, errno_text(errno), "/path");
  }
  void committed() { path_.clear(); }

 private:
  int fd_ = -1;
  std::string path_;
};

mode_t parse_mode(const boost::json::object& with) {
  std::string text = "0600";
  if (const auto* m = with.if_contains("mode"); m && m->is_string()) text = m->as_string();
  if (text.empty() || text.size() > 4 || text.find_first_not_of("01234567") != std::string::npos)
    throw Failure("mode must be an octal string such as \"0600\"", "got \"" + text + "\"", "/mode");
  return static_cast<mode_t>(std::stoul(text, nullptr, 8));
}

std::vector<std::pair<std::string, std::string>> parse_values(const boost::json::object& with) {
  const auto* values = with.if_contains("values");
  if (values == nullptr || !values->is_object())
    throw Failure("values must be an object of KEY: value", {}, "/values");
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [key, value] : values->as_object()) {
    const std::string name(key);
    const std::string pointer = "/values/" + name;
    if (!pw::dotenv::is_valid_key(name))
      throw Failure("invalid .env key '" + name + "'", "keys match ^[A-Za-z_][A-Za-z0-9_]*$",
                    pointer);
    if (value.is_string())
      out.emplace_back(name, std::string(value.as_string()));
    else if (value.is_bool())
      out.emplace_back(name, value.as_bool() ? "true" : "false");
    else if (value.is_number())
      out.emplace_back(name, boost::json::serialize(value));
    else
      throw Failure("the value of " + name + " must be a string, number or boolean", {}, pointer);
  }
  return out;
}

void write_all(int fd, std::string_view data, const std::string& where) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Failure("cannot write " + where, errno_text(errno), "/path");
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

bool inside(const fs::path& file, const fs::path& dir) {
  auto rel = file.lexically_relative(dir);
  return !rel.empty() && *rel.begin() != "..";
}

// A sandbox run never replaces a value in a file no sandbox run wrote: it
// may be a real credential (a production token in the project's .env).
void refuse_real_credentials(const fs::path& target, const std::string& original,
                             const std::vector<std::pair<std::string, std::string>>& values) {
  if (original.empty() || pw::dotenv::written_by_sandbox(original)) return;
  const auto parsed = pw::dotenv::parse(original);
  for (const auto& [key, value] : values) {
    auto current = parsed.get(key);
    if (current && !current->empty() && *current != value)
      throw Failure("refusing to replace " + key + " in " + target.string() +
                        " during a --sandbox run: no sandbox run wrote that file, so its value may be a real credential",
                    "write the sandbox's value elsewhere (leave `path` relative to keep it in the sandbox state), "
                    "or remove " + key + " from " + target.string() + " yourself",
                    "/path");
  }
}

struct DotenvWrite {
  static constexpr pipewright::Kind kind = pipewright::Kind::step;
  static constexpr const char* name = "core.dotenv.write";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* description =
      "Sets keys in a .env file atomically, keeping its other lines and comments";
  static constexpr const char* params_schema = R"json({
    "type": "object",
    "properties": {
      "path": {"type": "string", "minLength": 1, "description": "the .env file; relative to the workdir (in a --sandbox run: to the sandbox state)"},
      "values": {
        "type": "object",
        "additionalProperties": {"type": ["string", "number", "boolean"]},
        "description": "KEY: value to set"
      },
      "mode": {"type": "string", "pattern": "^[0-7]{3,4}$", "default": "0600"}
    },
    "required": ["path", "values"],
    "additionalProperties": false
  })json";
  static constexpr const char* outputs_schema = R"json({
    "type": "object",
    "properties": {
      "path": {"type": "string"},
      "keys": {"type": "array", "items": {"type": "string"}},
      "changed": {"type": "boolean", "description": "false: the file already held these values"}
    }
  })json";

  void run(pipewright::Call& call) {
    const auto with = pipewright::with_object(call);
    const auto* path_value = with.if_contains("path");
    if (path_value == nullptr || !path_value->is_string() || path_value->as_string().empty())
      throw Failure("path must be a non-empty string", {}, "/path");
    fs::path target(std::string(path_value->as_string()));
    const auto context = pipewright::context_object(call);
    // A --sandbox run keeps its .env with the sandbox state: a relative path
    // is resolved there, never in the working directory.
    fs::path sandbox_dir;
    if (const auto* d = context.if_contains("sandbox_dir"); d && d->is_string())
      sandbox_dir = fs::path(std::string(d->as_string())).lexically_normal();
    const bool named = target.is_absolute();
    if (target.is_relative()) {
      fs::path base;
      if (const auto* w = context.if_contains("workdir"); w && w->is_string())
        base = fs::path(std::string(w->as_string()));
      target = (sandbox_dir.empty() ? base : sandbox_dir) / target;
    }
    target = target.lexically_normal();
    if (!sandbox_dir.empty() && !named && !inside(target, sandbox_dir))
      throw Failure("in a --sandbox run a relative path stays in the sandbox state " + sandbox_dir.string() +
                        "; " + std::string(path_value->as_string()) + " leaves it",
                    "give an absolute path to write a sandbox .env anywhere else", "/path");
    // Write through a symlink (a linked .env stays linked) rather than replace it.
    std::error_code link_ec;
    if (fs::is_symlink(target, link_ec)) {
      auto resolved = fs::canonical(target, link_ec);
      if (link_ec)
        throw Failure("cannot resolve the symbolic link " + target.string(), link_ec.message(),
                      "/path");
      target = resolved;
    }
    const mode_t mode = parse_mode(with);
    const auto values = parse_values(with);

    std::string original;
    std::error_code ec;
    const auto status = fs::status(target, ec);
    const bool existed = !ec && fs::exists(status);
    if (existed) {
      std::ifstream in(target, std::ios::binary);
      if (!in) throw Failure("cannot read " + target.string(), errno_text(errno), "/path");
      std::ostringstream buffer;
      buffer << in.rdbuf();
      original = buffer.str();
    }
    if (!sandbox_dir.empty()) refuse_real_credentials(target, original, values);
    std::string text = pw::dotenv::update(original, values);
    if (!sandbox_dir.empty() && !pw::dotenv::written_by_sandbox(text))
      text = std::string(pw::dotenv::sandbox_marker) + "\n" + text;
    boost::json::array keys;
    for (const auto& [key, value] : values) keys.emplace_back(key);
    const auto mode_now = static_cast<mode_t>(status.permissions() & fs::perms::mask);
    if (existed && text == original && mode_now == mode) {
      pipewright::set_output(call, "path", boost::json::value(target.string()));
      pipewright::set_output(call, "keys", keys);
      pipewright::set_output(call, "changed", false);
      call.info("core.dotenv.write: " + target.string() + " already holds " + std::to_string(values.size()) +
                " key(s) with these values; left as it was");
      return;
    }

    TempFile temp(target);
    if (::fchmod(temp.fd(), mode) != 0)
      throw Failure("cannot set mode on " + temp.path(), errno_text(errno), "/mode");
    write_all(temp.fd(), text, temp.path());
    if (::fsync(temp.fd()) != 0)
      throw Failure("cannot flush " + temp.path(), errno_text(errno), "/path");
    temp.close();
    if (::rename(temp.path().c_str(), target.c_str()) != 0)
      throw Failure("cannot replace " + target.string(), errno_text(errno), "/path");
    temp.committed();
    // Make the rename itself durable.
    int dir = ::open(target.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
      ::fsync(dir);
      ::close(dir);
    }

    pipewright::set_output(call, "path", boost::json::value(target.string()));
    pipewright::set_output(call, "keys", keys);
    pipewright::set_output(call, "changed", true);
    call.info("core.dotenv.write: set " + std::to_string(values.size()) + " key(s) in " +
              target.string());
  }
};

}  // namespace

PIPEWRIGHT_PLUGIN(DotenvWrite)
