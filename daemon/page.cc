#include "daemon/page.h"

#include <algorithm>
#include <set>

#include "core/document.h"
#include "core/strings.h"

namespace drift {
namespace {

std::string Esc(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string Age(double now, const std::string& t) {
  long s = static_cast<long>(now - ParseTime(t));
  if (s < 120) return std::to_string(std::max(0L, s)) + "s";
  if (s < 7200) return std::to_string(s / 60) + "m";
  if (s < 172800) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

// The part of `a` that `b` does not share at either end, marked (both shortened first). Only
// strings are marked in part: `tru`e against `fals`e would say nothing.
std::pair<std::string, std::string> Highlight(const std::string& a, const std::string& b) {
  if (!a.starts_with('"') || !b.starts_with('"'))
    return {"<mark>" + Esc(a) + "</mark>", "<mark>" + Esc(b) + "</mark>"};
  size_t pre = 0;
  while (pre < a.size() && pre < b.size() && a[pre] == b[pre]) ++pre;
  // Never split a UTF-8 sequence.
  while (pre > 0 && (static_cast<unsigned char>(a[pre]) & 0xC0) == 0x80) --pre;
  size_t suf = 0;
  while (suf < a.size() - pre && suf < b.size() - pre &&
         a[a.size() - 1 - suf] == b[b.size() - 1 - suf])
    ++suf;
  while (suf > 0 && (static_cast<unsigned char>(a[a.size() - suf]) & 0xC0) == 0x80) --suf;
  auto mark = [&](const std::string& s) {
    std::string mid = s.substr(pre, s.size() - pre - suf);
    return Esc(s.substr(0, pre)) + (mid.empty() ? "" : "<mark>" + Esc(mid) + "</mark>") +
           Esc(s.substr(s.size() - suf));
  };
  return {mark(a), mark(b)};
}

int Rank(Severity s) { return static_cast<int>(s); }

// A small line of open findings over the last days, as inline SVG.
std::string Trend(const std::vector<int>& counts) {
  if (counts.size() < 2) return "";
  int top = std::max(1, *std::max_element(counts.begin(), counts.end()));
  const double w = 84, h = 18;
  std::string points;
  for (size_t i = 0; i < counts.size(); ++i) {
    double x = w * static_cast<double>(i) / static_cast<double>(counts.size() - 1);
    double y = h - 1 - (h - 2) * counts[i] / top;
    char buf[48];
    std::snprintf(buf, sizeof buf, "%s%.1f,%.1f", i ? " " : "", x, y);
    points += buf;
  }
  return "<svg class=\"trend\" width=\"84\" height=\"18\" viewBox=\"0 0 84 18\" role=\"img\">"
         "<title>open findings, last " + std::to_string(counts.size()) + " days: " +
         std::to_string(counts.front()) + " → " + std::to_string(counts.back()) +
         "</title><polyline fill=\"none\" stroke=\"#555\" stroke-width=\"1.5\" points=\"" + points +
         "\"/></svg>";
}

constexpr std::string_view kStyle =
    "body{font:14px system-ui,sans-serif;margin:1em 1.5em;color:#222;max-width:1320px}"
    "h1{font-size:20px;margin:.2em 0}h1 a{color:inherit;text-decoration:none}"
    "table{border-collapse:collapse;margin:.5em 0 1.2em;width:100%;table-layout:fixed}"
    "td,th{padding:3px 6px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top;"
    "overflow-wrap:anywhere}th{font-weight:600;background:#f4f4f4}"
    "code{font-size:12.5px}mark{background:#ffd54f;padding:0 1px}"
    ".critical{background:#c0392b;color:#fff}.warning{background:#f5c542}.info{background:#aed6f1}"
    ".ok{background:#e8f5e9;color:#1e8449}.none{color:#aaa}.sev{padding:1px 6px;border-radius:3px}"
    "td.cell{text-align:center;font-weight:600}td.cell a{color:inherit;display:block}"
    ".mark{font-weight:400;font-size:11px;margin-left:4px}.down{color:#c0392b}.up{color:#1e8449}"
    ".stale{color:#7f8c8d;font-style:italic}.unowned{background:#fdecea;color:#a93226;"
    "font-weight:600;padding:0 4px;border-radius:3px}form{margin:.4em 0}select{margin-right:.6em}"
    ".muted{color:#777}.trend{vertical-align:middle}";

// Refreshes the content in place every 30 s: the URL (filters) and the scroll position stay.
// On load it also notes on <html data-hscroll> whether the page is wider than the window
// (what the browser tests check at 1366 px).
constexpr std::string_view kRefresh =
    "<script>document.documentElement.setAttribute('data-hscroll',String(document."
    "documentElement.scrollWidth>document.documentElement.clientWidth));setInterval(function(){fetch(location.href,{cache:'no-store'}).then(function(r){"
    "return r.ok?r.text():null}).then(function(t){if(!t)return;var d=new DOMParser()"
    ".parseFromString(t,'text/html').getElementById('main');if(d)document.getElementById('main')"
    ".innerHTML=d.innerHTML})},30000)</script>";

}  // namespace

PageView PageView::From(const std::function<std::string(const char*)>& get_raw) {
  // `.*` is what a Grafana link sends for "All": no filter.
  auto get = [&](const char* name) {
    std::string v = get_raw(name);
    return v == ".*" ? std::string() : v;
  };
  PageView v;
  v.owner = get("owner");
  v.env = get("env");
  v.severity = get("severity");
  v.rule = get("rule");
  v.service = get("service");
  std::string p = get("page");
  // 1-based in the URL.
  if (!p.empty() && p.size() < 7 && p.find_first_not_of("0123456789") == std::string::npos)
    v.page = std::max<size_t>(1, std::stoul(p)) - 1;
  return v;
}

ServiceViewRows ServiceView(const CheckReport& report, const PageView& view) {
  std::vector<const Finding*> all;
  for (const auto& f : report.findings)
    if (f.service == view.service && (view.env.empty() || f.env == view.env) &&
        (view.severity.empty() || SeverityName(f.severity) == view.severity) &&
        (view.rule.empty() || f.rule == view.rule))
      all.push_back(&f);
  ServiceViewRows rows;
  rows.total = all.size();
  rows.pages = (all.size() + kPageFindings - 1) / kPageFindings;
  rows.page = std::min(view.page, rows.pages ? rows.pages - 1 : 0);
  size_t first = rows.page * kPageFindings;
  rows.shown.assign(all.begin() + static_cast<std::ptrdiff_t>(std::min(first, all.size())),
                    all.begin() + static_cast<std::ptrdiff_t>(std::min(first + kPageFindings, all.size())));
  return rows;
}

std::string RenderPageError(const std::string& message) {
  return "<!doctype html><meta charset=\"utf-8\"><title>drift</title><p>" + Esc(message) +
         " · <a href=\"/\">the page</a></p>\n";
}

std::string RenderPage(const PageInput& in, const PageView& view) {
  const CheckReport& report = *in.report;
  auto sev_ok = [&](const Finding& f) {
    return view.severity.empty() || SeverityName(f.severity) == view.severity;
  };
  auto rule_ok = [&](const Finding& f) { return view.rule.empty() || f.rule == view.rule; };
  // A link to the page with these parameters over the current filters.
  auto link = [&](const std::map<std::string, std::string>& over) {
    std::map<std::string, std::string> p{{"owner", view.owner},
                                         {"env", view.env},
                                         {"severity", view.severity},
                                         {"rule", view.rule},
                                         {"service", view.service}};
    for (const auto& [k, v] : over) p[k] = v;
    std::string q;
    for (const auto& [k, v] : p)
      if (!v.empty()) q += (q.empty() ? "?" : "&") + k + "=" + UrlEncode(v);
    return Esc("/" + q);
  };
  std::map<std::string, std::string> owner_of;
  for (const auto& [name, owner] : in.services) owner_of[name] = owner;
  auto owner_html = [&](const std::string& service) {
    auto it = owner_of.find(service);
    std::string o = it == owner_of.end() ? "" : it->second;
    return o.empty() ? std::string("<span class=\"unowned\">unowned</span>") : Esc(o);
  };

  std::string h =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
      "content=\"width=device-width\"><title>drift" +
      (view.service.empty() ? std::string() : " · " + Esc(view.service)) + "</title><style>" +
      std::string(kStyle) + "</style></head><body><div id=\"main\">";
  h += "<h1><a href=\"" + link({{"service", ""}, {"page", ""}}) + "\">drift</a>" +
       (view.service.empty() ? "" : " · " + Esc(view.service)) + "</h1><p>" +
       std::to_string(report.findings.size()) + " findings (" +
       std::to_string(report.count(Severity::kCritical)) + " critical, " +
       std::to_string(report.count(Severity::kWarning)) + " warning, " +
       std::to_string(report.count(Severity::kInfo)) + " info), baseline " + Esc(report.baseline) +
       ", " + std::to_string(report.sources_failed) + " of " + std::to_string(report.sources) +
       " sources down. JSON: <a href=\"/api/v1/findings\">findings</a>, <a "
       "href=\"/api/v1/sources\">sources</a>, <a href=\"/metrics\">metrics</a>.</p>";

  // Filters: a plain GET form, so a filtered view is a URL to share.
  std::set<std::string> owners, rules;
  for (const auto& [name, owner] : in.services) owners.insert(owner.empty() ? "unowned" : owner);
  for (const auto& f : report.findings) rules.insert(f.rule);
  auto select = [&](const char* name, const std::string& current,
                    const std::vector<std::string>& options) {
    std::string s = "<label>" + std::string(name) + " <select name=\"" + name + "\"><option value=\"\">all</option>";
    for (const auto& o : options)
      s += "<option" + std::string(o == current ? " selected" : "") + " value=\"" + Esc(o) + "\">" +
           Esc(o) + "</option>";
    return s + "</select></label>";
  };
  h += "<form method=\"get\" action=\"/\">";
  if (!view.service.empty())
    h += "<input type=\"hidden\" name=\"service\" value=\"" + Esc(view.service) + "\">";
  h += select("owner", view.owner, {owners.begin(), owners.end()}) +
       select("env", view.env, report.environments) +
       select("severity", view.severity, {"critical", "warning", "info"}) +
       select("rule", view.rule, {rules.begin(), rules.end()}) +
       "<button type=\"submit\">filter</button> <a href=\"" +
       Esc(view.service.empty() ? "/" : "/?service=" + UrlEncode(view.service)) +
       "\">clear</a></form>";

  auto owner_ok = [&](const std::string& service) {
    if (view.owner.empty()) return true;
    auto it = owner_of.find(service);
    std::string o = it == owner_of.end() || it->second.empty() ? "unowned" : it->second;
    return o == view.owner;
  };
  std::vector<std::string> envs;
  for (const auto& e : report.environments)
    if (view.env.empty() || e == view.env) envs.push_back(e);
  // Down sources by (service, env).
  std::map<std::pair<std::string, std::string>, int> down;
  for (const auto& s : in.sources)
    if (s.tried && !s.up()) ++down[{s.service, s.env}];

  if (view.service.empty()) {
    // The matrix: services (worst first) × envs.
    struct Cell {
      int count = 0;
      int worst = -1;
      bool stale = false;
    };
    struct Row {
      std::string service;
      std::map<std::string, Cell> cells;
      int worst = -1, count = 0;
    };
    std::map<std::string, Row> rows;
    for (const auto& [name, owner] : in.services)
      if (owner_ok(name)) rows[name].service = name;
    for (const auto& f : report.findings) {
      if (!owner_ok(f.service) || !sev_ok(f) || !rule_ok(f)) continue;
      if (!view.env.empty() && f.env != view.env) continue;
      Row& r = rows[f.service];
      r.service = f.service;
      Cell& c = r.cells[f.env];
      ++c.count;
      c.worst = std::max(c.worst, Rank(f.severity));
      c.stale = c.stale || f.stale;
      r.worst = std::max(r.worst, Rank(f.severity));
      ++r.count;
    }
    std::vector<const Row*> order;
    for (const auto& [name, r] : rows) order.push_back(&r);
    std::stable_sort(order.begin(), order.end(), [](const Row* a, const Row* b) {
      return std::tie(b->worst, b->count) < std::tie(a->worst, a->count);
    });
    h += "<table class=\"matrix\"><colgroup><col style=\"width:22%\"><col style=\"width:16%\">"
         "<col style=\"width:100px\">";
    for (size_t i = 0; i < envs.size(); ++i) h += "<col>";
    h += "</colgroup><tr><th>service</th><th>owner</th><th>trend</th>";
    for (const auto& e : envs)
      h += "<th>" + Esc(e) + (e == report.baseline ? " <span class=\"muted\">(baseline)</span>" : "") +
           "</th>";
    h += "</tr>";
    for (const Row* r : order) {
      auto t = in.trend.find(r->service);
      h += "<tr data-service=\"" + Esc(r->service) + "\"><td><a href=\"" +
           link({{"service", r->service}}) + "\">" + Esc(r->service) + "</a></td><td>" +
           owner_html(r->service) + "</td><td>" + (t == in.trend.end() ? "" : Trend(t->second)) +
           "</td>";
      for (const auto& e : envs) {
        auto c = r->cells.find(e);
        int n_down = down.count({r->service, e}) ? down[{r->service, e}] : 0;
        std::string marks;
        if (c != r->cells.end() && c->second.stale)
          marks += "<span class=\"mark stale\" title=\"findings held while a source is down\">stale</span>";
        if (n_down)
          marks += "<span class=\"mark down\" title=\"" + std::to_string(n_down) +
                   " source(s) down\">▼ down</span>";
        std::string cls = "ok", text = "✓";
        if (c != r->cells.end()) {
          cls = std::string(SeverityName(static_cast<Severity>(c->second.worst)));
          text = std::to_string(c->second.count);
        } else if (e == report.baseline) {
          cls = "none";
          text = "·";
        }
        h += "<td class=\"cell " + cls + "\" data-env=\"" + Esc(e) + "\"><a href=\"" +
             link({{"service", r->service}, {"env", e}}) + "\">" + text + marks + "</a></td>";
      }
      h += "</tr>";
    }
    h += "</table>";
  } else {
    // The service view: its findings, values side by side, the difference marked; history.
    ServiceViewRows rows = ServiceView(report, view);
    size_t pages = rows.pages, page = rows.page;
    h += "<p>owner " + owner_html(view.service) + " · " + std::to_string(rows.total) +
         " findings</p>";
    h += "<table class=\"findings\"><colgroup><col style=\"width:7%\"><col style=\"width:8%\">"
         "<col style=\"width:20%\"><col style=\"width:22%\"><col style=\"width:22%\">"
         "<col style=\"width:11%\"><col style=\"width:10%\"></colgroup><tr><th>env</th>"
         "<th>severity</th><th>path</th><th>" +
         Esc(report.baseline) + " (baseline)</th><th>value</th><th>rule</th><th>age</th></tr>";
    for (const Finding* shown : rows.shown) {
      const Finding& f = *shown;
      auto [b, v] = ShortenValues(f.baseline_value ? DumpJson(*f.baseline_value) : "—",
                                  f.value ? DumpJson(*f.value) : "—", f.baseline_value && f.value,
                                  160);
      auto [hb, hv] = f.baseline_value && f.value ? Highlight(b, v)
                                                  : std::pair{Esc(b), Esc(v)};
      std::string sev(SeverityName(f.severity));
      std::string hist;
      if (auto it = in.history.find(f.id); it != in.history.end())
        for (const auto& [from, to] : it->second)
          hist += "<br><small class=\"muted\">earlier: " + Esc(from) + " → resolved " + Esc(to) +
                  "</small>";
      h += "<tr data-env=\"" + Esc(f.env) + "\"><td>" + Esc(f.env) + "</td><td><span class=\"sev " +
           sev + "\">" + sev + "</span><br><small>" + std::string(FindingKindName(f.kind)) +
           "</small></td><td><code>" + Esc(f.path) + "</code></td><td><code>" + hb +
           "</code></td><td><code>" + hv + "</code>" +
           (f.message.empty() ? "" : "<br><small>" + Esc(f.message) + "</small>") + "</td><td>" +
           Esc(f.rule) + "</td><td title=\"first seen " + Esc(f.first_seen) + "\">" +
           Age(in.now, f.first_seen) + "<br><small class=\"muted\">since " +
           Esc(f.first_seen.substr(0, 16)) + "</small>" +
           (f.stale ? "<br><span class=\"stale\" title=\"a source it depends on is down\">stale "
                      "since " + Esc(f.unknown_since) + "</span>"
                    : std::string()) +
           hist + "</td></tr>";
    }
    h += "</table>";
    if (pages > 1) {
      h += "<p>page " + std::to_string(page + 1) + " of " + std::to_string(pages);
      if (page > 0) h += " · <a href=\"" + link({{"page", std::to_string(page)}}) + "\">previous</a>";
      if (page + 1 < pages)
        h += " · <a href=\"" + link({{"page", std::to_string(page + 2)}}) + "\">next</a>";
      h += "</p>";
    }
  }

  // Source health: what is down first, then the rest (a service view shows its own).
  std::vector<const SourceStatus*> shown;
  for (const auto& s : in.sources)
    if ((view.service.empty() || s.service == view.service) && owner_ok(s.service) &&
        (view.env.empty() || s.env == view.env))
      shown.push_back(&s);
  std::stable_sort(shown.begin(), shown.end(), [](const SourceStatus* a, const SourceStatus* b) {
    return (a->tried && !a->up()) > (b->tried && !b->up());
  });
  size_t n_down = std::count_if(shown.begin(), shown.end(),
                                [](const SourceStatus* s) { return s->tried && !s->up(); });
  h += "<h2>Sources <small class=\"muted\">" + std::to_string(n_down) + " of " +
       std::to_string(shown.size()) + " down</small></h2>";
  // A fleet's worth of healthy rows says nothing: at most 50 beyond the down ones.
  size_t limit = view.service.empty() ? n_down + 50 : shown.size();
  h += "<table class=\"sources\"><tr><th>service</th><th>source</th><th>env</th><th>state</th>"
       "<th>last success</th><th style=\"width:35%\">last error</th></tr>";
  for (size_t i = 0; i < std::min(limit, shown.size()); ++i) {
    const SourceStatus& s = *shown[i];
    h += "<tr><td>" + Esc(s.service) + "</td><td>" + Esc(s.source) + "</td><td>" + Esc(s.env) +
         "</td><td class=\"" + (s.up() ? "up\">up" : (s.tried ? "down\">down" : "\">pending")) +
         "</td><td>" + Esc(s.last_success) + "</td><td>" + Esc(Shorten(s.last_error, 160)) +
         "</td></tr>";
  }
  h += "</table>";
  if (shown.size() > limit)
    h += "<p class=\"muted\">" + std::to_string(shown.size() - limit) +
         " more sources up: <a href=\"/api/v1/sources\">all sources</a></p>";
  if (!in.endpoints.empty()) {
    h += "<h2>API</h2><table><tr><th style=\"width:35%\">endpoint</th><th></th></tr>";
    for (const Endpoint& e : in.endpoints) {
      std::string path = Esc(e.path);
      h += "<tr><td><code>" +
           (e.post ? "POST " + path : "<a href=\"" + path + "\">GET " + path + "</a>") +
           "</code></td><td>" + Esc(e.help) + "</td></tr>";
    }
    h += "</table>";
  }
  h += "</div>" + std::string(kRefresh) + "</body></html>\n";
  return h;
}

nlohmann::ordered_json SourcesJson(const std::vector<SourceStatus>& sources) {
  auto or_null = [](const std::string& s) {
    return s.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(s);
  };
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const SourceStatus& s : sources) {
    nlohmann::ordered_json j;
    j["service"] = s.service;
    j["source"] = s.source;
    j["env"] = s.env;
    j["up"] = s.up();
    j["last_success"] = or_null(s.last_success);
    j["last_error"] = or_null(s.last_error);
    j["duration_seconds"] = s.duration;
    j["snapshot_hash"] = or_null(s.hash);
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace drift
