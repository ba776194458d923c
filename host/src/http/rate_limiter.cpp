#include "rate_limiter.hpp"
#include "retry_policy.hpp"

#include <pipewright/util/text.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <vector>

#include <openssl/sha.h>

namespace pw::http {

namespace {

using std::chrono::milliseconds;

// A window's state, laid out the same in memory and in a shared file.
// Times are milliseconds of the monotonic clock, which every process on
// the machine shares; a file from before a reboot holds times from the
// future and is reset.
struct WindowHeader {
  std::uint32_t magic;
  std::uint32_t layout;
  std::uint32_t capacity;  // budget.requests: the ring's size
  std::uint32_t head;      // oldest entry
  std::uint32_t count;     // entries in the ring
  std::uint32_t unused;
  std::int64_t window_ms;
  std::int64_t paused_until;  // a 429's Retry-After
  std::int64_t server_reset;  // when the server's count restarts; 0: unknown
  std::int64_t server_left;   // what the server still allows before then (estimate)
  std::int64_t server_quota;  // its Ratelimit-Policy quota; 0: not said
  std::int64_t server_window; // and window, in ms; 0: not said
  std::int64_t touched;  // last time a process touched the file's mtime
  std::uint64_t boot;    // the boot the times belong to (see boot_id())
};
// Followed by `capacity` int64 start times.

constexpr std::uint32_t kMagic = 0x70776231;  // "pwb1"
constexpr std::uint32_t kLayout = 4;
// A shared file nobody touched for this long holds no live state.
constexpr std::int64_t kStaleMs = 3600 * 1000;

// This boot of the machine: the monotonic clock restarts at each one, so a
// file's times are only comparable within the boot that wrote them.
std::uint64_t boot_id() {
  static const std::uint64_t id = [] {
    std::uint64_t h = 1469598103934665603ULL;
    if (std::FILE* f = std::fopen("/proc/sys/kernel/random/boot_id", "re")) {
      for (int c; (c = std::fgetc(f)) != EOF;) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
      std::fclose(f);
    }
    return h;
  }();
  return id;
}

// flock, again when a signal interrupts it.
bool lock_file(int fd, int operation) {
  int rc;
  do rc = ::flock(fd, operation);
  while (rc != 0 && errno == EINTR);
  return rc == 0;
}

std::size_t bytes_for(std::size_t capacity) {
  return sizeof(WindowHeader) + capacity * sizeof(std::int64_t);
}

milliseconds wait_ms(std::int64_t until, std::int64_t now) {
  return milliseconds{std::max<std::int64_t>(1, until - now)};
}

std::string file_name_for(const std::string& key, const RateBudget& budget) {
  // FNV-1a: a stable name for the key (which holds a hash, never a secret).
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : key) h = (h ^ c) * 1099511628211ULL;
  char name[96];
  std::snprintf(name, sizeof name, "%016llx-%zu-%lld.budget", static_cast<unsigned long long>(h),
                budget.requests, static_cast<long long>(budget.window.count()));
  return name;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<long long> number(std::string_view s) {
  s = trim(s);
  long long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

// The integer parameter `name` of one structured-field item
// ("default";r=50;t=30), or nullopt.
std::optional<long long> parameter(std::string_view item, std::string_view name) {
  std::size_t pos = 0;
  while ((pos = item.find(';', pos)) != std::string_view::npos) {
    ++pos;
    auto rest = trim(item.substr(pos));
    if (rest.size() > name.size() && rest.substr(0, name.size()) == name && rest[name.size()] == '=') {
      auto value = rest.substr(name.size() + 1);
      return number(value.substr(0, value.find(';')));
    }
  }
  return std::nullopt;
}

}  // namespace

std::string credential_key(const HeaderList& headers) {
  static constexpr std::string_view kCredentials[] = {"authorization", "x-auth-email", "x-auth-key",
                                                      "x-auth-user-service-key"};
  std::vector<std::string> found;
  for (const auto& [name, value] : headers) {
    // An AWS Signature Version 4 header changes with every request: the
    // credential is its access key id (and scope), before the first '/'.
    if (util::iequals(name, "authorization") && std::string_view(value).starts_with("AWS4-HMAC-SHA256 ")) {
      const auto at = value.find("Credential=");
      const auto end = at == std::string::npos ? at : value.find('/', at);
      found.push_back("aws4:" + (end == std::string::npos ? std::string() : value.substr(at + 11, end - at - 11)));
      continue;
    }
    const std::string lower_name = util::lower(name);
    for (auto credential : kCredentials)
      if (lower_name == credential) found.push_back(lower_name + ":" + value);
  }
  if (found.empty()) return {};
  std::sort(found.begin(), found.end());
  std::string material;
  for (const auto& f : found) material += f + "\n";
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(material.data()), material.size(), digest);
  return util::hex(digest, 8);  // the first 8 of 32 bytes are enough to tell credentials apart
}

std::optional<ServerBudget> server_budget(const HttpResponse& response,
                                          std::chrono::system_clock::time_point now) {
  ServerBudget out;
  bool found = false;
  if (auto header = response.header("ratelimit")) {
    // A list of items: the tightest one is the one that binds.
    std::string_view rest = *header;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      auto item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      auto r = parameter(item, "r");
      auto t = parameter(item, "t");
      if (!r || !t) continue;
      if (!found || *r < out.remaining) {
        out.remaining = *r;
        out.reset = milliseconds{std::min(*t, 1'000'000LL) * 1000};
        found = true;
      }
    }
    if (auto policy = response.header("ratelimit-policy")) {
      if (auto q = parameter(*policy, "q")) out.quota = *q;
      if (auto w = parameter(*policy, "w")) out.window = milliseconds{std::min(*w, 1'000'000LL) * 1000};
    }
  } else if (auto left = response.header("x-ratelimit-remaining")) {
    auto r = number(*left);
    auto reset = response.header("x-ratelimit-reset");
    auto delay = reset ? parse_delay(*reset, now) : std::nullopt;
    // Some APIs send the reset as a Unix time, not as seconds from now.
    if (auto seconds = reset ? number(*reset) : std::nullopt; seconds && *seconds > 1'000'000'000LL) {
      const auto at = std::chrono::system_clock::time_point(std::chrono::seconds(*seconds));
      delay = std::max(milliseconds{0}, std::chrono::ceil<milliseconds>(at - now));
    }
    if (r && delay) {
      out.remaining = *r;
      out.reset = *delay;
      found = true;
    }
    if (auto limit = response.header("x-ratelimit-limit"))
      if (auto q = number(*limit)) out.quota = *q;
  }
  if (!found) return std::nullopt;
  return out;
}

// One key's window: in this process's memory, or mapped from a file that
// every process sharing the budget maps too.
struct RateLimiter::Window {
  WindowHeader* header = nullptr;
  std::int64_t* ring = nullptr;
  std::vector<std::int64_t> memory;  // private: header and ring live here
  int fd = -1;                       // shared: the file, flock()ed while in use
  void* mapped = nullptr;
  std::size_t mapped_size = 0;

  ~Window() {
    if (mapped) ::munmap(mapped, mapped_size);
    if (fd >= 0) ::close(fd);
  }

  void reset(const RateBudget& budget) {
    *header = WindowHeader{};
    header->magic = kMagic;
    header->layout = kLayout;
    header->capacity = static_cast<std::uint32_t>(budget.requests);
    header->window_ms = std::chrono::duration_cast<milliseconds>(budget.window).count();
    header->boot = boot_id();
  }

  // A file written by another version, damaged, or from before a reboot
  // starts afresh: a budget is worth less than a wrong wait. Every time in
  // it must lie within a window (plus a day for a server's reset) of now.
  void check(const RateBudget& budget, std::int64_t now, bool whole) {
    auto& h = *header;
    const std::int64_t window = std::chrono::duration_cast<milliseconds>(budget.window).count();
    const std::int64_t low = now - window - kStaleMs, high = now + window + kStaleMs;
    auto near = [&](std::int64_t t) { return t == 0 || (t >= low && t <= high); };
    bool sane = h.magic == kMagic && h.layout == kLayout && h.boot == boot_id() &&
                h.capacity == budget.requests && h.window_ms == window && h.head < h.capacity &&
                h.count <= h.capacity && near(h.paused_until) && near(h.server_reset) &&
                h.server_window >= 0 && h.server_window <= kStaleMs && h.server_quota >= 0 &&
                h.server_left <= std::max<std::int64_t>(h.server_quota, 1'000'000);
    for (std::uint32_t i = 0; sane && whole && i < h.count; ++i) sane = near(ring[(h.head + i) % h.capacity]);
    if (!sane) reset(budget);
  }

  bool shared() const { return fd >= 0; }
};

RateLimiter::RateLimiter(RateBudget budget, std::filesystem::path shared_dir, Now now)
    : budget_(budget), shared_dir_(std::move(shared_dir)), now_(std::move(now)) {
  // The ring holds one entry per request of the window.
  budget_.requests = std::min<std::size_t>(budget_.requests, 1'000'000);
}

RateLimiter::~RateLimiter() = default;

std::int64_t RateLimiter::now_ms() const {
  return std::chrono::duration_cast<milliseconds>(now_().time_since_epoch()).count();
}

RateLimiter::Window& RateLimiter::window(const std::string& key) {
  auto& slot = windows_[key];
  if (slot) return *slot;
  auto w = std::make_unique<Window>();
  const std::size_t size = bytes_for(budget_.requests);
  if (!shared_dir_.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(shared_dir_, ec);
    if (!swept_) {
      swept_ = true;
      // Budgets of servers long gone (a sandbox's port, an old token).
      const auto cutoff = std::filesystem::file_time_type::clock::now() - milliseconds{kStaleMs};
      for (const auto& entry : std::filesystem::directory_iterator(shared_dir_, ec)) {
        if (entry.path().extension() != ".budget" || !(entry.last_write_time(ec) < cutoff) || ec) continue;
        // Not while another process holds it (it is about to touch it).
        int stale = ::open(entry.path().c_str(), O_RDWR | O_CLOEXEC);
        if (stale < 0) continue;
        if (::flock(stale, LOCK_EX | LOCK_NB) == 0) std::filesystem::remove(entry.path(), ec);
        ::close(stale);
      }
    }
    const auto path = shared_dir_ / file_name_for(key, budget_);
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0 && lock_file(fd, LOCK_EX)) {
      struct stat st{};
      // Blocks really allocated, not a sparse file: a full disk would make
      // the first store through the mapping a SIGBUS.
      bool ready = ::fstat(fd, &st) == 0 &&
                   (static_cast<std::size_t>(st.st_size) >= size ||
                    ::posix_fallocate(fd, 0, static_cast<off_t>(size)) == 0);
      void* map = ready ? ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
      if (map != MAP_FAILED) {
        w->fd = fd;
        w->mapped = map;
        w->mapped_size = size;
        w->header = static_cast<WindowHeader*>(map);
        w->ring = reinterpret_cast<std::int64_t*>(w->header + 1);
        w->check(budget_, now_ms(), true);
        ::flock(fd, LOCK_UN);
        fd = -1;
      } else {
        ::flock(fd, LOCK_UN);
      }
    }
    // No shared file (read-only or full cache directory): this process
    // keeps its own budget, as without a directory.
    if (fd >= 0) ::close(fd);
  }
  if (!w->shared()) {
    w->memory.assign((size + sizeof(std::int64_t) - 1) / sizeof(std::int64_t), 0);
    w->header = reinterpret_cast<WindowHeader*>(w->memory.data());
    w->ring = reinterpret_cast<std::int64_t*>(w->header + 1);
    w->reset(budget_);
  }
  slot = std::move(w);
  return *slot;
}

template <class Fn>
auto RateLimiter::with_window(const std::string& key, Fn&& fn) {
  std::lock_guard lock(mutex_);
  Window& w = window(key);
  // flock excludes other processes; the mutex above, this one's threads
  // (they share the descriptor). A process that dies holding it releases it.
  // Without the lock (it cannot fail but for a kernel out of memory) the
  // budget is still kept, only not exactly between processes.
  const bool locked = w.shared() && lock_file(w.fd, LOCK_EX);
  const std::int64_t now = now_ms();
  if (w.shared()) {
    w.check(budget_, now, false);
    if (now - w.header->touched > 60'000) {
      w.header->touched = now;
      ::futimens(w.fd, nullptr);  // keeps the sweep of stale files off it
    }
  }
  auto result = fn(*w.header, w.ring, now);
  if (locked) ::flock(w.fd, LOCK_UN);
  return result;
}

std::chrono::milliseconds RateLimiter::try_acquire(const std::string& key) {
  if (!budget_.enabled || budget_.requests == 0) return milliseconds{0};
  return with_window(key, [&](WindowHeader& h, std::int64_t* ring, std::int64_t now) {
    if (now < h.paused_until) return wait_ms(h.paused_until, now);
    while (h.count > 0 && ring[h.head] + h.window_ms <= now) {
      h.head = (h.head + 1) % h.capacity;
      --h.count;
    }
    if (h.count >= h.capacity) return wait_ms(ring[h.head] + h.window_ms, now);
    // A period of the server's count ended: with its policy known, the next
    // one starts with the whole quota and is counted like the last, so a
    // burst at the turn of the window stays inside it. It is taken to start
    // now, when its first request leaves (a server may start it only when
    // that request arrives: the rounding up of each answer's reset covers
    // the difference).
    if (h.server_reset > 0 && h.server_reset <= now && h.server_quota > 0 && h.server_window > 0) {
      h.server_reset = now + h.server_window;
      h.server_left = h.server_quota;
    }
    if (h.server_reset > now) {
      // What the server still allows, less a reserve for the other clients
      // of the same user that may spend it meanwhile (1 % of the quota):
      // once that is gone, wait for the reset. Cloudflare refuses a user
      // for the rest of the window once the budget is exceeded, so stopping
      // short costs less than a 429; spreading requests out would slow a
      // short job down for nothing.
      const std::int64_t quota = h.server_quota > 0 ? h.server_quota : static_cast<std::int64_t>(h.capacity);
      const std::int64_t reserve = std::max<std::int64_t>(1, quota / 100);
      if (h.server_left <= reserve) return wait_ms(h.server_reset, now);
      --h.server_left;
    }
    ring[(h.head + h.count) % h.capacity] = now;
    ++h.count;
    return milliseconds{0};
  });
}

void RateLimiter::refund(const std::string& key) {
  if (!budget_.enabled || budget_.requests == 0) return;
  with_window(key, [&](WindowHeader& h, std::int64_t*, std::int64_t now) {
    // The newest entry goes: which request it was does not matter, only
    // how many left and when.
    if (h.count > 0) --h.count;
    if (h.server_reset > now) ++h.server_left;
    return 0;
  });
}

void RateLimiter::pause(const std::string& key, std::chrono::milliseconds delay) {
  if (!budget_.enabled || delay <= milliseconds{0}) return;
  with_window(key, [&](WindowHeader& h, std::int64_t*, std::int64_t now) {
    h.paused_until = std::max(h.paused_until, now + delay.count());
    return 0;
  });
}

void RateLimiter::observe(const std::string& key, const ServerBudget& server) {
  if (!budget_.enabled || budget_.requests == 0) return;
  // A reset further off than the budget's own window is not waited for:
  // the budget's window is the longest wait this client plans on, and a
  // 429 still says what is left.
  const std::int64_t longest = std::chrono::duration_cast<milliseconds>(budget_.window).count();
  with_window(key, [&](WindowHeader& h, std::int64_t*, std::int64_t now) {
    const std::int64_t reset = now + std::min<std::int64_t>(server.reset.count(), longest);
    // Answers arrive out of order: within one period of the server's count
    // (the same reset, give or take its rounding to seconds) the lowest
    // figure is the latest, and the latest reset the safe one (each answer's
    // is rounded up, and read after the server wrote it); any other reset
    // is a new period.
    const bool same_period = h.server_reset > now && reset < h.server_reset + 2000 &&
                             reset > h.server_reset - 2000;
    h.server_left = same_period ? std::min<std::int64_t>(h.server_left, server.remaining) : server.remaining;
    h.server_reset = same_period ? std::max(h.server_reset, reset) : reset;
    if (server.quota > 0) h.server_quota = server.quota;
    if (server.window.count() > 0) h.server_window = std::min<std::int64_t>(server.window.count(), longest);
    return 0;
  });
}

}  // namespace pw::http
