// Recording evaluations' findings: what changed since the open records (ReadOpenFindings,
// StoredValuesOf, MatchFindings, or all three as PlanFindings), written in one pass
// (ApplyFindings), or both at once (RecordFindings).
#include <algorithm>
#include <bit>
#include <cassert>
#include <cstdio>
#include <optional>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "core/document.h"
#include "core/strings.h"
#include "state/statement.h"
#include "state/store.h"

namespace drift {
namespace {

using store_internal::Stmt;

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

// DumpJson's text of a value, without its serializer for the common scalars (a string of
// printable ASCII without quote or backslash, an integer, a bool, null): the same bytes,
// several times faster on a large report.
std::string ValueText(const nlohmann::ordered_json& j) {
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::string: {
      const std::string& s = j.get_ref<const std::string&>();
      bool plain = std::all_of(s.begin(), s.end(), [](char c) {
        return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\';
      });
      if (!plain) break;
      return JsonQuote(s);  // nothing to escape: the same bytes as DumpJson's
    }
    case nlohmann::ordered_json::value_t::number_integer:
      return std::to_string(j.get<int64_t>());
    case nlohmann::ordered_json::value_t::number_unsigned:
      return std::to_string(j.get<uint64_t>());
    case nlohmann::ordered_json::value_t::boolean: return j.get<bool>() ? "true" : "false";
    case nlohmann::ordered_json::value_t::null: return "null";
    default: break;
  }
  return DumpJson(j);
}

// The finding upsert for `rows` rows at once (kUpsertColumns parameters each).
constexpr int kUpsertColumns = 16, kBatch = 32;
std::string UpsertSql(int rows) {
  std::string sql =
      "INSERT INTO findings (id, service, source, path, env, rule, kind, severity, first_seen, "
      "last_seen, resolved_at, baseline_value, value, with_env, owner, redacted, digest) VALUES ";
  for (int i = 0; i < rows; ++i)
    sql += std::string(i ? ", " : "") + "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)";
  return sql +
         " ON CONFLICT (id) DO UPDATE SET kind=excluded.kind, severity=excluded.severity, "
         "first_seen=excluded.first_seen, last_seen=excluded.last_seen, resolved_at=NULL, "
         "baseline_value=excluded.baseline_value, value=excluded.value, "
         "with_env=excluded.with_env, owner=excluded.owner, redacted=excluded.redacted, "
         "digest=excluded.digest";
}

}  // namespace

StoredValues StoredValuesOf(const Finding& f) {
  StoredValues out;
  if (f.baseline_value) out.baseline_value = ValueText(*f.baseline_value);
  if (f.value) out.value = ValueText(*f.value);
  out.digest = FindingDigest(f, out.baseline_value, out.value);
  return out;
}

Result<OpenFindingRecords> Store::ReadOpenFindings(const std::string& service,
                                                   const std::string& source) {
  OpenFindingRecords open;
  Stmt q(db_, Prepared("SELECT id, first_seen, env, digest FROM findings WHERE service=? AND "
                       "source=? AND resolved_at IS NULL"));
  q.Bind(1, service).Bind(2, source);
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    auto key = IdKey(q.TextView(0));
    if (!key) continue;  // not an id drift wrote; never matched, never resolved here
    std::string_view first_seen = q.TextView(1), env = q.TextView(2);
    auto e = std::find(open.envs.begin(), open.envs.end(), env);
    if (e == open.envs.end()) e = open.envs.insert(e, std::string(env));
    open.records.push_back(OpenFindingRecords::Record{
        *key, static_cast<uint32_t>(open.first_seen.size()),
        static_cast<uint32_t>(first_seen.size()), static_cast<uint32_t>(e - open.envs.begin()),
        static_cast<uint64_t>(q.Int64(3)), !q.IsNull(3)});
    open.first_seen += first_seen;
  }
  if (rc != SQLITE_DONE) return MakeError("state store: read: " + std::string(sqlite3_errmsg(db_)));
  return open;
}

FindingPlan MatchFindings(const std::string& service, const std::string& source,
                          const std::vector<std::string>& envs, std::span<Finding> findings,
                          std::span<StoredValues> values, const OpenFindingRecords& open,
                          const std::string& now, const std::vector<std::string>& keep) {
  assert(values.size() == findings.size());
  FindingPlan plan;
  plan.service = service;
  plan.source = source;
  plan.envs = envs;
  plan.now = now;
  // A finding whose open record says the same needs no write (a re-evaluation where nothing
  // changed writes one row per env), and the records not seen again are what gets resolved.
  // Looked up in an open-addressing table keyed by the id itself (ids are hashes already):
  // one probe per finding, visiting the findings in the order they are (a large group's
  // findings are tens of megabytes; walking them in id order missed the cache at each one).
  const auto& records = open.records;
  struct Slot {
    uint64_t key;
    uint32_t index;  // into records; kEmpty when free
  };
  constexpr uint32_t kEmpty = UINT32_MAX;
  std::vector<Slot> slots(std::bit_ceil(std::max<size_t>(16, records.size() * 2)), Slot{0, kEmpty});
  const size_t mask = slots.size() - 1;
  for (uint32_t i = 0; i < records.size(); ++i) {
    size_t h = records[i].key & mask;
    while (slots[h].index != kEmpty) h = (h + 1) & mask;
    slots[h] = Slot{records[i].key, i};
  }
  auto find = [&](uint64_t key) -> uint32_t {
    for (size_t h = key & mask; slots[h].index != kEmpty; h = (h + 1) & mask)
      if (slots[h].key == key) return slots[h].index;
    return kEmpty;
  };
  std::vector<bool> seen(records.size());
  std::vector<uint64_t> row_keys;
  for (size_t i = 0; i < findings.size(); ++i) {
    Finding& f = findings[i];
    StoredValues& v = values[i];
    auto key = IdKey(f.id);
    // An open record keeps its first_seen; a new one, or one back after being resolved,
    // starts now.
    uint32_t r = key ? find(*key) : kEmpty;
    if (r != kEmpty) {
      const auto& o = records[r];
      seen[r] = true;
      f.first_seen.assign(open.first_seen, o.first_seen_offset, o.first_seen_length);
      if (o.has_digest && o.digest == v.digest) continue;
    } else {
      f.first_seen = now;
    }
    plan.rows.push_back(
        FindingPlan::Row{&f, std::move(v.baseline_value), std::move(v.value), v.digest});
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
  std::vector<bool> evaluated(open.envs.size());
  for (size_t e = 0; e < open.envs.size(); ++e)
    evaluated[e] = std::find(envs.begin(), envs.end(), open.envs[e]) != envs.end();
  std::unordered_set<std::string> kept(keep.begin(), keep.end());
  for (uint32_t i = 0; i < records.size(); ++i) {
    if (seen[i] || !evaluated[records[i].env]) continue;
    std::string id = IdText(records[i].key);
    if (!kept.count(id)) plan.resolved.push_back(std::move(id));
  }
  return plan;
}

Result<FindingPlan> Store::PlanFindings(const std::string& service, const std::string& source,
                                        const std::vector<std::string>& envs,
                                        std::span<Finding> findings, const std::string& now,
                                        const std::vector<std::string>& keep) {
  auto open = ReadOpenFindings(service, source);
  if (!open.ok()) return open.error();
  std::vector<StoredValues> values;
  values.reserve(findings.size());
  for (const Finding& f : findings) values.push_back(StoredValuesOf(f));
  return MatchFindings(service, source, envs, findings, values, *open, now, keep);
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
  // Rows go kBatch to a statement: one statement per row spent about a fifth of the writing
  // on running the statement rather than storing the row.
  auto bind = [&](Stmt& up, int base, const FindingPlan::Row& r) {
    const Finding& f = *r.finding;
    up.BindStatic(base + 1, f.id).BindStatic(base + 2, plan.service)
        .BindStatic(base + 3, plan.source).BindStatic(base + 4, f.path)
        .BindStatic(base + 5, f.env).BindStatic(base + 6, f.rule)
        .BindStatic(base + 7, FindingKindName(f.kind)).BindStatic(base + 8, SeverityName(f.severity))
        .BindStatic(base + 9, f.first_seen).BindStatic(base + 10, plan.now)
        .BindStatic(base + 11, r.baseline_value).BindStatic(base + 12, r.value)
        .BindStatic(base + 13, f.with_env).BindStatic(base + 14, f.owner)
        .Bind(base + 15, static_cast<int64_t>(f.redacted))
        .Bind(base + 16, static_cast<int64_t>(r.digest));
  };
  static const std::string kOne = UpsertSql(1), kMany = UpsertSql(kBatch);
  size_t i = 0;
  for (; i + kBatch <= plan.rows.size(); i += kBatch) {
    Stmt up(db_, Prepared(kMany.c_str()));
    for (int k = 0; k < kBatch; ++k) bind(up, k * kUpsertColumns, plan.rows[i + k]);
    if (up.Step() != SQLITE_DONE) return fail("finding");
  }
  for (; i < plan.rows.size(); ++i) {
    Stmt up(db_, Prepared(kOne.c_str()));
    bind(up, 0, plan.rows[i]);
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

}  // namespace drift
