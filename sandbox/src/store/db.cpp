#include "store/db.hpp"

#include <sqlite3.h>

#include <fstream>
#include <iterator>
#include <set>
#include <stdexcept>
#include <utility>

namespace pw::sandbox {
namespace {

[[noreturn]] void fail(sqlite3* db, std::string_view what) {
  throw std::runtime_error("sandbox state: " + std::string(what) + ": " + sqlite3_errmsg(db));
}

}  // namespace

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) !=
      SQLITE_OK)
    fail(db_, "cannot prepare \"" + std::string(sql) + "\"");
}

Statement::Statement(sqlite3* db, sqlite3_stmt* stmt, Db* owner, std::string key)
    : db_(db), stmt_(stmt), owner_(owner), key_(std::move(key)) {}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  if (owner_)
    owner_->release(key_, stmt_);
  else
    sqlite3_finalize(stmt_);
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_), owner_(other.owner_), key_(std::move(other.key_)) {
  other.stmt_ = nullptr;
}

Statement& Statement::bind(int index, std::string_view value) {
  // SQLITE_TRANSIENT: SQLite copies, so temporaries are fine.
  if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                        SQLITE_TRANSIENT) != SQLITE_OK)
    fail(db_, "bind");
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) fail(db_, "bind");
  return *this;
}

Statement& Statement::bind(int index, std::nullptr_t) {
  if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) fail(db_, "bind");
  return *this;
}

Statement& Statement::bind(int index, const std::optional<std::string>& value) {
  return value ? bind(index, std::string_view(*value)) : bind(index, nullptr);
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_, "step");
}

int Statement::run() {
  while (step()) {
  }
  return sqlite3_changes(db_);
}

std::string Statement::text(int column) const {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
           : std::string();
}

std::string_view Statement::view(int column) const {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
           : std::string_view();
}

std::optional<std::string> Statement::optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}

std::int64_t Statement::integer(int column) const { return sqlite3_column_int64(stmt_, column); }

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

Db::Db(const std::optional<std::filesystem::path>& file) {
  std::string name = file ? file->string() : std::string(":memory:");
  // No per-connection mutex (SQLite's "multi-thread" mode): the state is
  // only touched before the server's threads start, on the state strand,
  // and after they are joined, never from two threads at once. Serialized
  // mode locked and unlocked a mutex around every step and column read,
  // a fifth of the time of listing a bucket.
  if (sqlite3_open_v2(name.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) !=
      SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw std::runtime_error("sandbox state: cannot open " + name + ": " + msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  if (file) {
    statement_list_ = file->string() + "-statements";
    // The WAL is checkpointed at close (two fsyncs): left for the next open,
    // every start would replay an ever longer WAL.
    exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
  }
  exec("PRAGMA foreign_keys=ON;");
}

Db::~Db() {
  save_statement_list();
  for (auto& [key, stmt] : idle_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

constexpr std::size_t max_warm_statements = 256;

// One statement per entry, each ended by a NUL (SQL may hold newlines).
// A cache, not state: written without a flush, replaced whole by rename.
void Db::save_statement_list() const {
  if (statement_list_.empty()) return;
  std::set<std::string_view> texts;
  for (const auto& [key, stmt] : idle_) texts.insert(key);
  std::string out;
  std::size_t kept = 0;
  for (auto text : texts)
    if (kept++ < max_warm_statements) out.append(text).push_back('\0');
  if (out == loaded_statement_list_) return;  // the list it started with
  const auto temp = statement_list_.string() + ".tmp";
  {
    std::ofstream f(temp, std::ios::binary | std::ios::trunc);
    if (!f.write(out.data(), static_cast<std::streamsize>(out.size()))) return;
  }
  std::error_code ec;
  std::filesystem::rename(temp, statement_list_, ec);
  if (ec) std::filesystem::remove(temp, ec);
}

void Db::warm_up() {
  if (statement_list_.empty()) return;
  std::ifstream f(statement_list_, std::ios::binary);
  if (!f) return;
  loaded_statement_list_.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  const std::string& all = loaded_statement_list_;
  std::size_t start = 0, prepared = 0;
  for (std::size_t end; (end = all.find('\0', start)) != std::string::npos && prepared < max_warm_statements; start = end + 1) {
    const std::string_view sql(all.data() + start, end - start);
    if (sql.empty() || idle_.count(std::string(sql)) > 0) continue;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) != SQLITE_OK || !stmt) {
      sqlite3_finalize(stmt);
      continue;
    }
    idle_.emplace(std::string(sql), stmt);
    ++prepared;
  }
}

void Db::release(const std::string& key, sqlite3_stmt* stmt) {
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  // A few idle copies per text cover nested use of the same query.
  if (idle_.count(key) < 4) {
    idle_.emplace(key, stmt);
  } else {
    sqlite3_finalize(stmt);
  }
}

void Db::exec(std::string_view sql) {
  char* err = nullptr;
  std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw std::runtime_error("sandbox state: " + msg + " in \"" + text.substr(0, 80) + "\"");
  }
}

Statement Db::prepare(std::string_view sql) {
  std::string key(sql);
  if (auto it = idle_.find(key); it != idle_.end()) {
    sqlite3_stmt* stmt = it->second;
    idle_.erase(it);
    return Statement(db_, stmt, this, std::move(key));
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) != SQLITE_OK)
    fail(db_, "cannot prepare \"" + key + "\"");
  return Statement(db_, stmt, this, std::move(key));
}

std::int64_t Db::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

std::int64_t Db::total_changes() const { return sqlite3_total_changes64(db_); }

Transaction::Transaction(Db& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (!done_) {
    try {
      db_.exec("ROLLBACK");
    } catch (...) {
      // Nothing useful to do in a destructor; the connection stays usable.
    }
  }
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace pw::sandbox
