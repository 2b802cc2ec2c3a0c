#include "state/store.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "core/document.h"
#include "core/report.h"
#include "core/strings.h"
#include "state/statement.h"

namespace drift {

namespace {

using store_internal::Stmt;

// Migrations in order; migration i brings the schema to version i + 1.
const char* kMigrations[] = {
    R"(CREATE TABLE snapshots (
         service TEXT NOT NULL, source TEXT NOT NULL, env TEXT NOT NULL,
         hash TEXT NOT NULL, document TEXT, collected_at TEXT NOT NULL,
         PRIMARY KEY (service, source, env));
       CREATE TABLE snapshot_history (
         service TEXT NOT NULL, source TEXT NOT NULL, env TEXT NOT NULL,
         hash TEXT NOT NULL, document TEXT, seen_at TEXT NOT NULL);
       CREATE INDEX snapshot_history_by_source ON snapshot_history (service, source, seen_at);
       CREATE TABLE findings (
         id TEXT PRIMARY KEY, service TEXT NOT NULL, source TEXT NOT NULL, path TEXT NOT NULL,
         env TEXT NOT NULL, rule TEXT NOT NULL, kind TEXT NOT NULL, severity TEXT NOT NULL,
         first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, resolved_at TEXT,
         baseline_value TEXT, value TEXT);
       CREATE INDEX findings_by_path ON findings (service, path);
       CREATE TABLE finding_history (
         id TEXT NOT NULL, first_seen TEXT NOT NULL, resolved_at TEXT NOT NULL,
         baseline_value TEXT, value TEXT);
       CREATE TABLE alerts (
         key TEXT PRIMARY KEY, payload TEXT NOT NULL, state TEXT NOT NULL,
         last_sent TEXT, attempts INTEGER NOT NULL DEFAULT 0, next_attempt TEXT);)",
    // Each evaluation resolves the open findings of one (service, source): without this
    // index that was a scan of every finding ever recorded.
    // Findings keyed by id alone (no rowid b-tree beside the id index); an index for the
    // open findings that each evaluation compares against, by (service, source), which was a
    // scan of every finding ever kept; and when each (service, source, env) was last
    // evaluated, which is an open finding's last_seen (so an unchanged finding costs no
    // write). No index by path: every write paid for it, and only `drift history` reads it.
    // with_env, owner and redacted let a restarted daemon show an open finding as it was
    // while its source is down (stale).
    R"(CREATE TABLE findings_v2 (
         id TEXT PRIMARY KEY, service TEXT NOT NULL, source TEXT NOT NULL, path TEXT NOT NULL,
         env TEXT NOT NULL, rule TEXT NOT NULL, kind TEXT NOT NULL, severity TEXT NOT NULL,
         first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, resolved_at TEXT,
         baseline_value TEXT, value TEXT, with_env TEXT, owner TEXT,
         redacted INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
       INSERT INTO findings_v2 SELECT id, service, source, path, env, rule, kind, severity,
         first_seen, last_seen, resolved_at, baseline_value, value, NULL, NULL, 0 FROM findings;
       DROP TABLE findings;
       ALTER TABLE findings_v2 RENAME TO findings;
       CREATE INDEX findings_open ON findings (service, source) WHERE resolved_at IS NULL;
       CREATE TABLE evaluations (
         service TEXT NOT NULL, source TEXT NOT NULL, env TEXT NOT NULL, evaluated_at TEXT NOT NULL,
         PRIMARY KEY (service, source, env)) WITHOUT ROWID;)",
    // A digest of what a finding's row says (FindingDigest), so that an evaluation compares
    // its open findings by one number instead of reading their values back. NULL on rows
    // written before: each is rewritten once.
    R"(ALTER TABLE findings ADD COLUMN digest INTEGER;)",
    // The page shows each listed finding's earlier occurrences: by id, not a scan.
    R"(CREATE INDEX finding_history_by_id ON finding_history (id);)",
};

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return MakeError("cannot open state store " + path + ": " + msg);
  }
  std::unique_ptr<Store> store(new Store(db));
  sqlite3_busy_timeout(db, 10000);
  // WAL keeps readers (drift history, a second replica) off the writer's back; a commit is
  // durable once synced at checkpoint, and atomic always (kill -9 safe).
  // A large page cache: finding ids are hashes, so each evaluation's writes land all over
  // the findings table's B-tree.
  // page_size counts only for a new file (before WAL): larger pages make the bulk writes of a
  // first check cheaper.
  for (const char* pragma : {"PRAGMA page_size=16384", "PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
                             "PRAGMA foreign_keys=ON", "PRAGMA temp_store=MEMORY",
                             "PRAGMA cache_size=-65536"}) {
    if (auto s = store->Exec(pragma); !s.ok()) return MakeError(path + ": " + s.error().message);
  }
  if (auto s = store->Exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
      !s.ok())
    return MakeError(path + ": " + s.error().message);
  // The version is read and the migrations run in one write transaction, so two processes
  // opening an old store at once migrate it once.
  if (auto s = store->Exec("BEGIN IMMEDIATE"); !s.ok()) return MakeError(path + ": " + s.error().message);
  int version = 0;
  {
    Stmt q(db, "SELECT version FROM schema_version");
    if (q.ok() && q.Step() == SQLITE_ROW) version = sqlite3_column_int(q.raw(), 0);
  }
  if (version > kSchemaVersion) {
    (void)store->Exec("ROLLBACK");
    return MakeError(path + " has schema version " + std::to_string(version) +
                     ", newer than this drift understands (" + std::to_string(kSchemaVersion) + ")");
  }
  for (int v = version; v < kSchemaVersion; ++v) {
    if (auto s = store->Exec(kMigrations[v]); !s.ok()) {
      (void)store->Exec("ROLLBACK");
      return MakeError(path + ": migration to schema " + std::to_string(v + 1) + " failed: " +
                       s.error().message);
    }
  }
  if (version < kSchemaVersion) {
    std::string set = "DELETE FROM schema_version; INSERT INTO schema_version VALUES (" +
                      std::to_string(kSchemaVersion) + ")";
    if (auto s = store->Exec(set); !s.ok()) {
      (void)store->Exec("ROLLBACK");
      return MakeError(path + ": " + s.error().message);
    }
  }
  if (auto s = store->Exec("COMMIT"); !s.ok()) {
    (void)store->Exec("ROLLBACK");
    return MakeError(path + ": " + s.error().message);
  }
  return store;
}

Store::~Store() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

sqlite3_stmt* Store::Prepared(const char* sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) != SQLITE_OK) return nullptr;
  statements_.emplace(sql, stmt);
  return stmt;
}

Status Store::Begin() {
  if (in_transaction_) return Ok();
  auto st = Exec("BEGIN IMMEDIATE");
  in_transaction_ = st.ok();
  return st;
}

Status Store::Commit() {
  if (!in_transaction_) return Ok();
  in_transaction_ = false;
  auto st = Exec("COMMIT");
  if (!st.ok()) (void)Exec("ROLLBACK");
  return st;
}

Status Store::Exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return MakeError("state store: " + msg);
  }
  return Ok();
}

Result<bool> Store::RecordSnapshot(const SnapshotRecord& s) {
  std::string previous;
  {
    Stmt q(db_, Prepared("SELECT hash FROM snapshots WHERE service=? AND source=? AND env=?"));
    q.Bind(1, s.service).Bind(2, s.source).Bind(3, s.env);
    if (q.Step() == SQLITE_ROW) previous = q.Text(0);
  }
  bool changed = previous != s.hash;
  bool own = !in_transaction_;
  // Inside a caller's transaction (a batch), a savepoint: a failure undoes this record only.
  if (auto st = Exec(own ? "BEGIN IMMEDIATE" : "SAVEPOINT snapshot"); !st.ok()) return st.error();
  bool ok;
  {
    Stmt up(db_, Prepared("INSERT INTO snapshots (service, source, env, hash, document, collected_at) "
                          "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (service, source, env) DO UPDATE SET "
                          "hash=excluded.hash, document=excluded.document, "
                          "collected_at=excluded.collected_at"));
    up.Bind(1, s.service).Bind(2, s.source).Bind(3, s.env).Bind(4, s.hash).Bind(5, s.document)
        .Bind(6, s.collected_at);
    ok = up.Step() == SQLITE_DONE;
  }
  if (ok && changed) {
    Stmt h(db_, Prepared("INSERT INTO snapshot_history (service, source, env, hash, document, "
                         "seen_at) VALUES (?, ?, ?, ?, ?, ?)"));
    h.Bind(1, s.service).Bind(2, s.source).Bind(3, s.env).Bind(4, s.hash).Bind(5, s.document)
        .Bind(6, s.collected_at);
    ok = h.Step() == SQLITE_DONE;
  }
  if (!ok) {
    std::string msg = sqlite3_errmsg(db_);
    if (own) {
      (void)Exec("ROLLBACK");
    } else {
      (void)Exec("ROLLBACK TO snapshot");
      (void)Exec("RELEASE snapshot");
    }
    return MakeError("state store: " + msg);
  }
  if (!own) {
    if (auto st = Exec("RELEASE snapshot"); !st.ok()) return st.error();
  } else if (auto st = Exec("COMMIT"); !st.ok()) {
    (void)Exec("ROLLBACK");
    return st.error();
  }
  return changed;
}

namespace {
FindingRecord ReadFinding(Stmt& q) {
  FindingRecord r;
  r.id = q.Text(0);
  r.service = q.Text(1);
  r.source = q.Text(2);
  r.path = q.Text(3);
  r.env = q.Text(4);
  r.rule = q.Text(5);
  r.kind = q.Text(6);
  r.severity = q.Text(7);
  r.first_seen = q.Text(8);
  r.last_seen = q.Text(9);
  r.resolved_at = q.Text(10);
  r.baseline_value = q.Text(11);
  r.value = q.Text(12);
  return r;
}
// An open finding was last seen when its (service, source, env) was last evaluated.
constexpr const char* kFindingColumns =
    "SELECT id, service, source, path, env, rule, kind, severity, first_seen, "
    "CASE WHEN resolved_at IS NULL THEN coalesce((SELECT evaluated_at FROM evaluations e WHERE "
    "e.service=findings.service AND e.source=findings.source AND e.env=findings.env), last_seen) "
    "ELSE last_seen END, resolved_at, baseline_value, value FROM findings ";
}  // namespace

std::vector<Finding> Store::OpenFindings(const std::string& service, const std::string& source) {
  std::vector<Finding> out;
  Stmt q(db_, Prepared("SELECT id, path, env, with_env, rule, kind, severity, owner, "
                       "baseline_value, value, redacted, first_seen FROM findings WHERE "
                       "service=? AND source=? AND resolved_at IS NULL"));
  q.Bind(1, service).Bind(2, source);
  while (q.Step() == SQLITE_ROW) {
    Finding f;
    f.id = q.Text(0);
    f.service = service;
    f.source = source;
    f.path = q.Text(1);
    f.env = q.Text(2);
    f.with_env = q.Text(3);
    f.rule = q.Text(4);
    std::string kind = q.Text(5);
    for (auto k : {FindingKind::kChanged, FindingKind::kMissing, FindingKind::kExtra,
                   FindingKind::kType, FindingKind::kSame, FindingKind::kPattern,
                   FindingKind::kSkew})
      if (FindingKindName(k) == kind) f.kind = k;
    if (auto sev = ParseSeverity(q.Text(6))) f.severity = *sev;
    f.owner = q.Text(7);
    auto json = [](const std::string& text) -> std::optional<nlohmann::ordered_json> {
      if (text.empty()) return std::nullopt;
      auto j = nlohmann::ordered_json::parse(text, nullptr, false);
      if (j.is_discarded()) return std::nullopt;
      return j;
    };
    f.baseline_value = json(q.Text(8));
    f.value = json(q.Text(9));
    f.redacted = sqlite3_column_int(q.raw(), 10) != 0;
    f.first_seen = q.Text(11);
    out.push_back(std::move(f));
  }
  return out;
}

std::optional<FindingRecord> Store::FindingById(const std::string& id) {
  Stmt q(db_, (std::string(kFindingColumns) + "WHERE id=?").c_str());
  q.Bind(1, id);
  if (q.Step() != SQLITE_ROW) return std::nullopt;
  return ReadFinding(q);
}

std::vector<FindingRecord> Store::FindingHistory(const std::string& id) {
  Stmt q(db_,
         "SELECT first_seen, resolved_at, baseline_value, value FROM finding_history WHERE id=? "
         "ORDER BY first_seen, rowid");
  q.Bind(1, id);
  std::vector<FindingRecord> out;
  while (q.Step() == SQLITE_ROW) {
    FindingRecord r;
    r.id = id;
    r.first_seen = q.Text(0);
    r.resolved_at = q.Text(1);
    r.baseline_value = q.Text(2);
    r.value = q.Text(3);
    out.push_back(std::move(r));
  }
  return out;
}

std::map<std::string, std::vector<int>> Store::OpenFindingsByDay(int days, double now) {
  std::string cutoff = FormatUnixTime(now - 86400.0 * (days - 1));
  // Every occurrence that was open at some point since the first day's end: current rows
  // and earlier, resolved ones.
  Stmt q(db_,
         "SELECT service, first_seen, resolved_at FROM findings "
         "WHERE resolved_at IS NULL OR resolved_at >= ?1 "
         "UNION ALL SELECT f.service, h.first_seen, h.resolved_at FROM finding_history h "
         "JOIN findings f ON f.id = h.id WHERE h.resolved_at >= ?1");
  q.Bind(1, cutoff);
  std::map<std::string, std::vector<int>> out;
  std::vector<std::string> ends;
  for (int d = days - 1; d >= 0; --d) ends.push_back(FormatUnixTime(now - 86400.0 * d));
  while (q.Step() == SQLITE_ROW) {
    auto& counts = out[q.Text(0)];
    if (counts.empty()) counts.assign(days, 0);
    std::string first = q.Text(1), resolved = q.Text(2);
    // RFC 3339 UTC timestamps compare as text.
    for (int d = 0; d < days; ++d)
      if (first <= ends[d] && (resolved.empty() || resolved > ends[d])) ++counts[d];
  }
  return out;
}

std::vector<FindingRecord> Store::FindingsForPath(const std::string& service,
                                                  const std::string& path) {
  Stmt q(db_, (std::string(kFindingColumns) + "WHERE service=? AND path=? ORDER BY env, rule").c_str());
  q.Bind(1, service).Bind(2, path);
  std::vector<FindingRecord> out;
  while (q.Step() == SQLITE_ROW) out.push_back(ReadFinding(q));
  return out;
}

std::vector<SnapshotRecord> Store::SnapshotHistory(const std::string& service,
                                                   const std::string& source) {
  Stmt q(db_,
         "SELECT service, source, env, hash, document, seen_at FROM snapshot_history "
         "WHERE service=? AND source=? ORDER BY seen_at, rowid");
  q.Bind(1, service).Bind(2, source);
  std::vector<SnapshotRecord> out;
  while (q.Step() == SQLITE_ROW)
    out.push_back(SnapshotRecord{q.Text(0), q.Text(1), q.Text(2), q.Text(3), q.Text(4), q.Text(5)});
  return out;
}

std::vector<SnapshotRecord> Store::LatestSnapshots() {
  Stmt q(db_, "SELECT service, source, env, hash, '', collected_at FROM snapshots");
  std::vector<SnapshotRecord> out;
  while (q.Step() == SQLITE_ROW)
    out.push_back(SnapshotRecord{q.Text(0), q.Text(1), q.Text(2), q.Text(3), q.Text(4), q.Text(5)});
  return out;
}

Status Store::SaveAlerts(const std::vector<AlertRecord>& save,
                         const std::vector<std::string>& remove) {
  if (save.empty() && remove.empty()) return Ok();
  if (auto st = Exec("BEGIN IMMEDIATE"); !st.ok()) return st;
  auto fail = [&](const std::string& what) -> Status {
    std::string msg = sqlite3_errmsg(db_);
    (void)Exec("ROLLBACK");
    return MakeError("state store: " + what + ": " + msg);
  };
  for (const auto& a : save) {
    Stmt up(db_,
            "INSERT INTO alerts (key, payload, state, last_sent, attempts, next_attempt) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET payload=excluded.payload, "
            "state=excluded.state, last_sent=excluded.last_sent, attempts=excluded.attempts, "
            "next_attempt=excluded.next_attempt");
    up.Bind(1, a.key).Bind(2, a.payload).Bind(3, a.state).Bind(4, a.last_sent)
        .Bind(5, static_cast<int64_t>(a.attempts)).Bind(6, a.next_attempt);
    if (up.Step() != SQLITE_DONE) return fail("save alert");
  }
  for (const auto& k : remove) {
    Stmt del(db_, "DELETE FROM alerts WHERE key=?");
    del.Bind(1, k);
    if (del.Step() != SQLITE_DONE) return fail("delete alert");
  }
  if (auto st = Exec("COMMIT"); !st.ok()) return fail("commit");
  return Ok();
}

std::vector<AlertRecord> Store::LoadAlerts() {
  std::vector<AlertRecord> out;
  Stmt q(db_, "SELECT key, payload, state, last_sent, attempts, next_attempt FROM alerts ORDER BY key");
  while (q.Step() == SQLITE_ROW) {
    out.push_back(AlertRecord{q.Text(0), q.Text(1), q.Text(2), q.Text(3),
                              static_cast<int>(sqlite3_column_int64(q.raw(), 4)), q.Text(5)});
  }
  return out;
}

std::string Store::IntegrityCheck() {
  Stmt q(db_, "PRAGMA integrity_check");
  return q.Step() == SQLITE_ROW ? q.Text(0) : std::string(sqlite3_errmsg(db_));
}

}  // namespace drift
