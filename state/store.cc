#include "state/store.h"

#include <sqlite3.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "core/document.h"
#include "core/strings.h"

namespace drift {

namespace {

// Statement wrapper: finalizes on scope exit, or, for a statement the store keeps prepared,
// resets it and clears its bindings.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK) s_ = nullptr;
  }
  Stmt(sqlite3* db, sqlite3_stmt* kept) : db_(db), s_(kept), kept_(true) {}
  ~Stmt() {
    if (!kept_) {
      sqlite3_finalize(s_);
    } else if (s_) {
      sqlite3_reset(s_);
      sqlite3_clear_bindings(s_);
    }
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return s_ != nullptr; }
  Stmt& Bind(int i, const std::string& v) {
    if (v.empty()) sqlite3_bind_null(s_, i);
    else sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // Without a copy: `v` must outlive the statement's next Step (the hot path binds fields of
  // objects that do, and string literals).
  Stmt& BindStatic(int i, std::string_view v) {
    if (v.empty()) sqlite3_bind_null(s_, i);
    else sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  int Step() { return sqlite3_step(s_); }
  std::string Text(int c) {
    auto* p = sqlite3_column_text(s_, c);
    return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(s_, c)) : "";
  }
  // Valid until the next Step.
  std::string_view TextView(int c) {
    auto* p = sqlite3_column_text(s_, c);
    return p ? std::string_view(reinterpret_cast<const char*>(p), sqlite3_column_bytes(s_, c))
             : std::string_view();
  }
  bool IsNull(int c) { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
  int64_t Int64(int c) { return sqlite3_column_int64(s_, c); }
  std::string error() const { return sqlite3_errmsg(db_); }
  sqlite3_stmt* raw() { return s_; }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
  bool kept_ = false;
};

// A finding id (FindingId: 16 lowercase hex digits) as the number it spells; nullopt for
// anything else.
std::optional<uint64_t> IdKey(std::string_view id) {
  if (id.size() != 16) return std::nullopt;
  uint64_t k = 0;
  for (char c : id) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return std::nullopt;
    k = k << 4 | static_cast<uint64_t>(d);
  }
  return k;
}

std::string IdText(uint64_t key) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(key));
  return buf;
}

// FNV-1a over every column a write of `f` stores besides its identity and times, each field
// followed by a separator that cannot occur in it: equal digests mean nothing to write.
uint64_t FindingDigest(const Finding& f, std::string_view bv, std::string_view v) {
  uint64_t h = kFnvBasis;
  auto add = [&h](std::string_view s) { h = Fnv1a64("\x1f", Fnv1a64(s, h)); };
  add(FindingKindName(f.kind));
  add(SeverityName(f.severity));
  add(f.baseline_value ? bv : std::string_view("\x01" "absent"));
  add(f.value ? v : std::string_view("\x01" "absent"));
  add(f.with_env);
  add(f.owner);
  add(f.redacted ? "1" : "0");
  return h;
}

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
  if (own)
    if (auto st = Exec("BEGIN IMMEDIATE"); !st.ok()) return st.error();
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
    (void)Exec("ROLLBACK");
    in_transaction_ = false;
    return MakeError("state store: " + msg);
  }
  if (own)
    if (auto st = Exec("COMMIT"); !st.ok()) {
      (void)Exec("ROLLBACK");
      return st.error();
    }
  return changed;
}

Result<FindingPlan> Store::PlanFindings(const std::string& service, const std::string& source,
                                        const std::vector<std::string>& envs,
                                        std::span<Finding> findings, const std::string& now,
                                        const std::vector<std::string>& keep) {
  FindingPlan plan;
  plan.service = service;
  plan.source = source;
  plan.envs = envs;
  plan.now = now;
  // The open records of this (service, source), to compare with: a finding whose record
  // says the same needs no write (a re-evaluation where nothing changed writes one row per
  // env), and the records not seen again are what gets resolved. Compared by a digest of
  // what a write would store and keyed by the id as a number (ids are 16 hex digits): a
  // large group's open records are a compact table rather than a map of strings.
  struct Open {
    uint64_t key;
    std::string first_seen, env;
    uint64_t digest;
    bool has_digest, seen;
  };
  std::vector<Open> open;
  {
    Stmt q(db_, Prepared("SELECT id, first_seen, env, digest FROM findings WHERE service=? AND "
                         "source=? AND resolved_at IS NULL"));
    q.Bind(1, service).Bind(2, source);
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) {
      auto key = IdKey(q.TextView(0));
      if (!key) continue;  // not an id drift wrote; never matched, never resolved here
      open.push_back(Open{*key, q.Text(1), q.Text(2), static_cast<uint64_t>(q.Int64(3)),
                          !q.IsNull(3), false});
    }
    if (rc != SQLITE_DONE) return MakeError("state store: read: " + std::string(sqlite3_errmsg(db_)));
  }
  // Looked up in an open-addressing table keyed by the id itself (ids are hashes already):
  // one probe per finding, visiting the findings in the order they are (a large group's
  // findings are tens of megabytes; walking them in id order missed the cache at each one).
  struct Slot {
    uint64_t key;
    uint32_t index;  // into open; kEmpty when free
  };
  constexpr uint32_t kEmpty = UINT32_MAX;
  std::vector<Slot> slots(std::bit_ceil(std::max<size_t>(16, open.size() * 2)), Slot{0, kEmpty});
  const size_t mask = slots.size() - 1;
  for (uint32_t i = 0; i < open.size(); ++i) {
    size_t h = open[i].key & mask;
    while (slots[h].index != kEmpty) h = (h + 1) & mask;
    slots[h] = Slot{open[i].key, i};
  }
  auto find = [&](uint64_t key) -> Open* {
    for (size_t h = key & mask; slots[h].index != kEmpty; h = (h + 1) & mask)
      if (slots[h].key == key) return &open[slots[h].index];
    return nullptr;
  };
  std::vector<uint64_t> row_keys;
  std::string bv, v;
  for (Finding& f : findings) {
    bv = f.baseline_value ? DumpJson(*f.baseline_value) : "";
    v = f.value ? DumpJson(*f.value) : "";
    uint64_t digest = FindingDigest(f, bv, v);
    auto key = IdKey(f.id);
    // An open record keeps its first_seen; a new one, or one back after being resolved,
    // starts now.
    f.first_seen = now;
    if (Open* o = key ? find(*key) : nullptr) {
      o->seen = true;
      f.first_seen = o->first_seen;
      if (o->has_digest && o->digest == digest) continue;
    }
    // What needs a write: new, back after being resolved, or changed.
    plan.rows.push_back(FindingPlan::Row{&f, std::move(bv), std::move(v), digest});
    row_keys.push_back(key.value_or(0));
  }
  // Written in id order: keys inserted in order fill the b-tree's pages one after the other
  // instead of splitting pages all over it.
  std::vector<uint32_t> by_id(plan.rows.size());
  for (uint32_t i = 0; i < by_id.size(); ++i) by_id[i] = i;
  std::sort(by_id.begin(), by_id.end(), [&](uint32_t a, uint32_t b) {
    return row_keys[a] != row_keys[b] ? row_keys[a] < row_keys[b] : a < b;
  });
  std::vector<FindingPlan::Row> rows;
  rows.reserve(plan.rows.size());
  for (uint32_t i : by_id) rows.push_back(std::move(plan.rows[i]));
  plan.rows = std::move(rows);
  // Resolve the open records not seen again, in the envs evaluated; stale ones (`keep`:
  // their source is unknown) stay open.
  std::unordered_set<std::string> evaluated(envs.begin(), envs.end());
  std::unordered_set<std::string> kept(keep.begin(), keep.end());
  for (const Open& o : open) {
    if (o.seen || !evaluated.count(o.env)) continue;
    std::string id = IdText(o.key);
    if (!kept.count(id)) plan.resolved.push_back(std::move(id));
  }
  return plan;
}

Status Store::ApplyFindings(const FindingPlan& plan) {
  bool own = !in_transaction_;
  if (own)
    if (auto st = Exec("BEGIN IMMEDIATE"); !st.ok()) return st;
  auto fail = [&](const std::string& what) -> Status {
    std::string msg = sqlite3_errmsg(db_);
    (void)Exec("ROLLBACK");
    in_transaction_ = false;  // a caller's transaction is gone too
    return MakeError("state store: " + what + ": " + msg);
  };
  for (const FindingPlan::Row& r : plan.rows) {
    const Finding& f = *r.finding;
    Stmt up(db_,
            Prepared("INSERT INTO findings (id, service, source, path, env, rule, kind, severity, "
                     "first_seen, last_seen, resolved_at, baseline_value, value, with_env, owner, "
                     "redacted, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?) "
                     "ON CONFLICT (id) DO UPDATE SET "
                     "kind=excluded.kind, severity=excluded.severity, "
                     "first_seen=excluded.first_seen, last_seen=excluded.last_seen, "
                     "resolved_at=NULL, baseline_value=excluded.baseline_value, "
                     "value=excluded.value, with_env=excluded.with_env, owner=excluded.owner, "
                     "redacted=excluded.redacted, digest=excluded.digest"));
    up.BindStatic(1, f.id).BindStatic(2, plan.service).BindStatic(3, plan.source)
        .BindStatic(4, f.path).BindStatic(5, f.env).BindStatic(6, f.rule)
        .BindStatic(7, FindingKindName(f.kind)).BindStatic(8, SeverityName(f.severity))
        .BindStatic(9, f.first_seen).BindStatic(10, plan.now).BindStatic(11, r.baseline_value)
        .BindStatic(12, r.value).BindStatic(13, f.with_env).BindStatic(14, f.owner)
        .Bind(15, static_cast<int64_t>(f.redacted)).Bind(16, static_cast<int64_t>(r.digest));
    if (up.Step() != SQLITE_DONE) return fail("finding");
  }
  if (!plan.resolved.empty()) {
    std::string ids = nlohmann::json(plan.resolved).dump();
    Stmt hist(db_, Prepared("INSERT INTO finding_history (id, first_seen, resolved_at, "
                            "baseline_value, value) SELECT id, first_seen, ?, baseline_value, "
                            "value FROM findings WHERE id IN (SELECT value FROM json_each(?))"));
    hist.Bind(1, plan.now).Bind(2, ids);
    if (hist.Step() != SQLITE_DONE) return fail("history");
    Stmt resolve(db_, Prepared("UPDATE findings SET resolved_at=?, last_seen=coalesce((SELECT "
                               "evaluated_at FROM evaluations e WHERE e.service=findings.service "
                               "AND e.source=findings.source AND e.env=findings.env), last_seen) "
                               "WHERE id IN (SELECT value FROM json_each(?))"));
    resolve.Bind(1, plan.now).Bind(2, ids);
    if (resolve.Step() != SQLITE_DONE) return fail("resolve");
  }
  for (const auto& env : plan.envs) {
    Stmt e(db_, Prepared("INSERT INTO evaluations (service, source, env, evaluated_at) VALUES "
                         "(?, ?, ?, ?) ON CONFLICT (service, source, env) DO UPDATE SET "
                         "evaluated_at=excluded.evaluated_at"));
    e.Bind(1, plan.service).Bind(2, plan.source).Bind(3, env).Bind(4, plan.now);
    if (e.Step() != SQLITE_DONE) return fail("evaluation");
  }
  if (!own) return Ok();
  if (auto st = Exec("COMMIT"); !st.ok()) {
    (void)Exec("ROLLBACK");
    return st;
  }
  return Ok();
}

Status Store::RecordFindings(const std::string& service, const std::string& source,
                             const std::vector<std::string>& envs, std::span<Finding> findings,
                             const std::string& now, const std::vector<std::string>& keep) {
  // The plan reads inside the same transaction as the writes: nothing changes in between.
  bool own = !in_transaction_;
  if (own)
    if (auto st = Begin(); !st.ok()) return st;
  auto plan = PlanFindings(service, source, envs, findings, now, keep);
  Status st = plan.ok() ? ApplyFindings(*plan) : Status(plan.error());
  if (!own) return st;
  if (!st.ok()) {
    if (in_transaction_) (void)Exec("ROLLBACK");
    in_transaction_ = false;
    return st;
  }
  return Commit();
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
