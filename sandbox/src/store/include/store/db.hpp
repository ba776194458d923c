// A thin RAII layer over one SQLite connection. Not thread-safe: the server
// only touches it from the state strand (see dispatcher.hpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace pw::sandbox {

class Db;

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  // A statement taken from `owner`'s cache; it goes back there when done.
  Statement(sqlite3* db, sqlite3_stmt* stmt, Db* owner, std::string key);
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;

  // Parameters are 1-based, as in SQLite.
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const std::string& value) {
    return bind(index, std::string_view(value));
  }
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, std::nullptr_t);
  Statement& bind(int index, const std::optional<std::string>& value);

  // Advances to the next row; false when done.
  bool step();
  // Runs to completion (INSERT/UPDATE/DELETE); returns sqlite3_changes().
  int run();

  // Columns are 0-based.
  std::string text(int column) const;
  // The column's text without a copy; valid until the next step().
  std::string_view view(int column) const;
  std::optional<std::string> optional_text(int column) const;
  std::int64_t integer(int column) const;
  bool is_null(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  Db* owner_ = nullptr;  // set for cached statements
  std::string key_;
};

class Db {
 public:
  // An empty path opens a private in-memory database.
  explicit Db(const std::optional<std::filesystem::path>& file);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  void exec(std::string_view sql);
  Statement prepare(std::string_view sql);

  // prepare + bind in one call: db.query("... WHERE id=?1", id).
  template <class... Args>
  Statement query(std::string_view sql, const Args&... args) {
    Statement s = prepare(sql);
    int i = 0;
    (s.bind(++i, args), ...);
    return s;
  }

  // Prepares the statements the previous session used (their SQL is kept
  // next to the database file when it closes), so that the first request
  // of each kind does not parse and plan its SQL: a buffer-pool warm-up,
  // as databases reload their page list at start. Text that no longer
  // prepares (another schema) is skipped; a missing or unreadable list
  // warms nothing. Call where the database may be used.
  void warm_up();

  std::int64_t last_insert_rowid() const;
  // Rows changed by this connection since it opened (sqlite3_total_changes64):
  // a cheap "has anything been written" test for caches.
  std::int64_t total_changes() const;

 private:
  friend class Statement;
  // Prepared statements are kept per SQL text: parsing the SQL on every
  // request was the sandbox's largest cost under load.
  void release(const std::string& key, sqlite3_stmt* stmt);

  void save_statement_list() const;

  sqlite3* db_ = nullptr;
  std::unordered_multimap<std::string, sqlite3_stmt*> idle_;
  std::filesystem::path statement_list_;  // empty for an in-memory database
  std::string loaded_statement_list_;     // as warm_up() read it
};

// BEGIN IMMEDIATE ... COMMIT; rolls back if destroyed without commit().
class Transaction {
 public:
  explicit Transaction(Db& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Db& db_;
  bool done_ = false;
};

}  // namespace pw::sandbox
