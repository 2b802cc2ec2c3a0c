#include "daemon/daemon.h"

#include <spdlog/spdlog.h>
#include <malloc.h>
#include <sys/resource.h>

#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <set>
#include <sstream>
#include <utility>
#include <nlohmann/json.hpp>

#include "collectors/runtime.h"
#include "core/crypto.h"
#include "core/interpolate.h"
#include "core/secrets.h"
#include "core/strings.h"
#include "daemon/alert_dispatcher.h"
#include "daemon/evaluation.h"
#include "daemon/generation.h"
#include "daemon/http_server.h"
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "daemon/page.h"
#include "daemon/response_cache.h"
#include "daemon/routes.h"
#include "daemon/scheduler.h"
#include "daemon/store_writer.h"
#include "state/history.h"
#include "outputs/alerts.h"
#include "outputs/sink.h"
#include "pipeline/program.h"
#include "state/store.h"

namespace drift {

namespace {

namespace net = boost::asio;
using SteadyClock = std::chrono::steady_clock;

std::string Now() { return FormatTime(std::chrono::system_clock::now()); }

class Daemon {
 public:
  explicit Daemon(const DaemonOptions& o) : opts_(o) {}

  // server.max_connections, lowered when the process's descriptor limit could not hold them
  // and still leave a reserve for collection (sockets, pipes, files, the store).
  size_t ConnectionLimit(const Config& c) {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) return c.max_connections;
    size_t reserve = static_cast<size_t>(c.defaults.max_concurrency) * 4 + 64;
    size_t room = lim.rlim_cur > reserve + 16 ? lim.rlim_cur - reserve : 16;
    if (room >= c.max_connections) return c.max_connections;
    Log(spdlog::level::warn, "server.max_connections lowered from " +
                                 std::to_string(c.max_connections) + " to " + std::to_string(room) +
                                 ": the open-file limit is " + std::to_string(lim.rlim_cur) +
                                 " and " + std::to_string(reserve) + " stay reserved for collection");
    return room;
  }

  int Run() {
    // The common soft limit (1,024) is far below what a daemon with many clients and
    // collections needs; the hard limit is ours to take.
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
      lim.rlim_cur = lim.rlim_max;
      setrlimit(RLIMIT_NOFILE, &lim);
    }
    Diagnostics diags;
    auto program = LoadProgram(opts_.config_path, diags);
    if (!program) {
      for (const auto& d : diags.Sorted()) std::cerr << d.ToString() << "\n";
      std::cerr << "drift daemon: invalid config, not starting\n";
      return 2;
    }
    const Config& c = program->config;
    // One pool for the process: blocking collection, evaluation, store writes.
    executor_ = std::make_unique<Executor>(std::max<size_t>(2, Executor::Cores()));
    runtime_ = std::make_unique<Runtime>(c.defaults.max_concurrency, c.defaults.max_per_host,
                                         *executor_);
    runtime_->set_worker_nice(opts_.worker_nice);
    auto& io = runtime_->io();
    if (!c.state_path.empty()) {
      auto store = Store::Open(c.state_path);
      if (!store.ok()) {
        std::cerr << "drift daemon: " << store.error().message << "\n";
        return 2;
      }
      // 16 MiB of page cache: `drift check` writes a whole fleet at once and takes 64; a
      // daemon writes what changed and holds its cache for weeks.
      (void)(*store)->SetCacheKib(16384);
      store_ = std::make_unique<StoreWriter>(std::move(*store));
    }
    alerts_ = std::make_unique<AlertDispatcher>(*runtime_, store_.get(), metrics_);
    alerts_->Load();
    if (!opts_.once) {
      std::string listen = opts_.listen.empty() ? c.listen : opts_.listen;
      HttpServerOptions server_options;
      server_options.max_connections = ConnectionLimit(c);
      auto server = HttpServer::Start(
          io, listen, [this](const HttpServerRequest& r) { return router_.Handle(r); },
          server_options);
      if (!server.ok()) {
        std::cerr << "drift daemon: " << server.error().message << "\n";
        return 2;
      }
      server_ = std::move(*server);
      bound_ = listen.substr(0, listen.rfind(':')) + ":" + std::to_string(server_->port());
      Log(spdlog::level::info, "listening on " + bound_);
    }
    Install(std::shared_ptr<Program>(std::move(program)));
    metrics_.Reloaded(true, UnixNow());
    signals_ = std::make_unique<net::signal_set>(io, SIGHUP, SIGTERM, SIGINT);
    WaitSignal();
    timer_ = std::make_unique<net::steady_timer>(io);
    discover_timer_ = std::make_unique<net::steady_timer>(io);
    ScheduleDiscovery();
    Tick();
    alerts_->Send();  // what a previous run could not deliver
    io.restart();
    io.run();
    if (server_) server_->Stop();
    server_.reset();
    // Work already handed to the pool (store writes among it) finishes before the store
    // closes; then the alert states not written yet are.
    runtime_->Drain();
    alerts_->WriteRemaining();
    Log(spdlog::level::info, "stopped");
    return exit_code_;
  }

 private:
  void WaitSignal() {
    signals_->async_wait([this](boost::system::error_code ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        Reload();
        WaitSignal();
        return;
      }
      Log(spdlog::level::info, std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") +
                                   ", stopping");
      Stop(0);
    });
  }

  void Stop(int code) {
    exit_code_ = code;
    stopping_ = true;
    if (server_) server_->Stop();
    if (timer_) timer_->cancel();
    if (discover_timer_) discover_timer_->cancel();
    if (alerts_) alerts_->Stop();
    if (signals_) signals_->cancel();
    runtime_->io().stop();
  }

  // Builds the generation for a loaded program: this shard's targets, on the scheduler.
  // The page's address for links in alerts: server.external_url, else where we listen.
  std::string PageUrl(const Config& c) const {
    if (!c.external_url.empty()) return c.external_url;
    std::string listen = !bound_.empty() ? bound_ : opts_.listen.empty() ? c.listen : opts_.listen;
    return "http://" + listen;
  }

  void Install(std::shared_ptr<Program> program) {
    auto g = BuildGeneration(program, ++generation_counter_, opts_.shard_index, opts_.shard_count,
                             SteadyClock::now(), executor_.get());
    const Config& c = program->config;
    std::map<std::string, std::string> owners;
    for (const auto& o : program->ownership) owners[o.service] = o.owner;
    metrics_.SetOwners(std::move(owners));
    metrics_.SetUnowned(g->unowned_services());
    metrics_.SetWaiversExpired(program->rules->expired_waivers(program->today));
    metrics_.RetainSources(g->source_labels());
    metrics_.SetFindings({}, UnixNow());
    std::vector<size_t> carried_groups;
    if (gen_) carried_groups = CarryOver(*gen_, *g, SteadyClock::now());
    gen_ = g;
    current_gen_id_ = g->id;
    for (const auto& f : program->discovery_failures)
      Log(spdlog::level::warn, f.message + " (env " + f.env + "; its last good list is kept)");
    ++findings_version_;
    // The new rules judge the snapshots already held at once: a reload never blanks the
    // findings or waits a whole round for them.
    for (size_t gi : carried_groups) Evaluate(g, gi);
    // Alerts of services and sources this config no longer has (or this shard no longer
    // owns) are resolved.
    alerts_->Configure(c.alerting, c.dir, PageUrl(c));
    std::set<std::pair<std::string, std::string>> groups;
    for (const auto& grp : g->groups) groups.emplace(grp.service->name, grp.source->name);
    alerts_->Retain(groups);
    Log(spdlog::level::info, "config " + c.path + " loaded: " + std::to_string(g->targets.size()) +
                                 " collections" +
                                 (opts_.shard_count > 1 ? " in shard " + std::to_string(opts_.shard_index) +
                                                              "/" + std::to_string(opts_.shard_count)
                                                        : ""));
  }

  // SPEC §2.2: the generators run again every defaults.discover_interval, on the pool; when
  // what they find changed, the config is reloaded with it (a generator-env that fails keeps
  // its last good list).
  void ScheduleDiscovery() {
    if (stopping_ || !discover_timer_ || gen_->program->config.discover.empty()) return;
    discover_timer_->expires_after(gen_->program->config.defaults.discover_interval);
    discover_timer_->async_wait([this](boost::system::error_code ec) {
      if (ec || stopping_) return;
      std::shared_ptr<Program> current = gen_->program;
      // On the pool, counted by the runtime (a stop waits for it before the runtime goes).
      runtime_->Blocking([this, current] {
        auto found = std::make_shared<Discovery>(Discover(current->config, &current->discovery));
        bool changed = DescribeDiscovery(current->config, *found) !=
                       DescribeDiscovery(current->config, current->discovery);
        net::post(runtime_->io(), [this, changed, found] {
          if (stopping_) return;
          if (changed) {
            Log(spdlog::level::info, "discovery found a different set of services: reloading");
            Reload(nullptr, found.get());  // with what was found, not running it again here
          }
          ScheduleDiscovery();
        });
      });
    });
  }

  // `errors` (when given) receives every error of a rejected config, positioned.
  bool Reload(std::vector<std::string>* errors = nullptr, const Discovery* found = nullptr) {
    Diagnostics diags;
    LoadOptions lo;
    lo.previous = gen_ ? &gen_->program->discovery : nullptr;  // the last good lists
    lo.found = found;
    auto program = LoadProgram(opts_.config_path, diags, lo);
    if (!program) {
      auto sorted = diags.Sorted();
      if (errors)
        for (const auto& d : sorted)
          if (!d.warning) errors->push_back(d.ToString());
      std::string first = sorted.empty() ? "" : sorted[0].ToString();
      Log(spdlog::level::err, "reload rejected, keeping the running config: " + first);
      metrics_.Reloaded(false, UnixNow());
      return false;
    }
    Install(std::shared_ptr<Program>(std::move(program)));
    metrics_.Reloaded(true, UnixNow());
    timer_->cancel();
    Tick();
    if (!found && discover_timer_) ScheduleDiscovery();  // a reload may add or change discover:
    return true;
  }

  void Tick() {
    if (stopping_) return;
    auto g = gen_;
    auto now = SteadyClock::now();
    for (size_t i : g->scheduler.TakeDue(now)) StartCollect(g, i);
    auto next = g->scheduler.NextDue();
    timer_->expires_at(next ? std::max(*next, now + std::chrono::milliseconds(5))
                            : now + std::chrono::seconds(60));
    timer_->async_wait([this](boost::system::error_code ec) {
      if (!ec) Tick();
    });
  }

  void StartCollect(std::shared_ptr<Generation> g, size_t i) {
    auto started = SteadyClock::now();
    // Input that did not change since the snapshot held is not parsed or hashed again.
    const auto& st = g->states[i];
    CollectRequest request{st.held() ? st.raw_digest : ""};
    g->targets[i]->collector->Start(*runtime_, std::move(request), [this, g, i, started](Result<Document> r) {
      double seconds = std::chrono::duration<double>(SteadyClock::now() - started).count();
      // Hashing reads the whole snapshot: done on the pool, so the io thread stays free for
      // the API and metrics.
      auto result = std::make_shared<Result<Document>>(std::move(r));
      if (!result->ok() || result->value().unchanged()) {  // nothing to hash: no second hop
        net::post(runtime_->io(), [this, g, i, seconds, result] {
          OnCollected(g, i, std::move(*result), "", seconds, nullptr);
        });
        return;
      }
      // So is packing: a small snapshot is held compressed once its group is evaluated.
      runtime_->Blocking([this, g, i, seconds, result] {
        std::string hash = SnapshotHash(result->value());
        auto packed = PackedDocument::Pack(result->value());
        net::post(runtime_->io(), [this, g, i, seconds, hash, result, packed] {
          OnCollected(g, i, std::move(*result), hash, seconds, packed);
        });
      });
    });
  }

  void OnCollected(std::shared_ptr<Generation> g, size_t i, Result<Document> r,
                   const std::string& hash, double seconds,
                   std::shared_ptr<const PackedDocument> packed) {
    g->scheduler.Done(i, SteadyClock::now());
    if (g != gen_ || stopping_) return;  // a reload replaced this generation
    const Target& t = *g->targets[i];
    const Config& c = g->program->config;
    const std::string& env = c.environments[t.env].name;
    bool unchanged = r.ok() && r.value().unchanged();
    // What went wrong without failing the collection (an embedded document that does not
    // parse): said when the input changed, at warn.
    if (r.ok())
      for (const auto& w : r.value().warnings())
        Log(spdlog::level::warn, "service " + t.service->name + ", source " + t.source->name +
                                     ", env " + env + ": " + MaskSecretsInText(w));
    metrics_.SourceCollected(t.service->name, t.source->name, env, t.source->type, r.ok(), seconds,
                             UnixNow());
    // Collectors keep secrets out of their errors; a URL written with a password in
    // drift.yaml is masked here once more for every channel (logs, API, page, store).
    if (!r.ok()) r = MakeError(MaskSecretsInText(r.error().ToString()));
    auto outcome = g->Collected(i, std::move(r), hash, seconds, Now(), std::move(packed));
    FreeOnPool(std::move(outcome.released));
    if (outcome.error_changed) ++findings_version_;  // the report's errors changed
    const auto& st = g->states[i];
    if (st.last_error.empty()) {
      if (spdlog::should_log(spdlog::level::debug))
        Log(spdlog::level::debug, "collected service " + t.service->name + ", source " +
                                      t.source->name + ", env " + env + " in " +
                                      std::to_string(static_cast<int>(seconds * 1000)) + " ms" +
                                      (unchanged ? " (unchanged)" : ""));
      if (outcome.changed && store_) RecordSnapshot(g, i);
    } else if (outcome.newly_failing) {
      Log(spdlog::level::warn, "cannot collect service " + t.service->name + ", source " +
                                   t.source->name + ", env " + env + ": " + st.last_error);
    }
    bool changed = outcome.changed, first = outcome.first;
    if (changed || first) {
      ++findings_version_;
      last_change_ = Now();
    }
    if (changed) Evaluate(g, g->group_of[i]);
    ++round_.collected;
    if (!st.last_error.empty()) ++round_.failed;
    if (changed) ++round_.changed;
    RoundProgress(g);
    RoundSummary(g);
    Tick();
  }

  // One info line per defaults.interval (a "round"; sources with their own intervals fall
  // in whichever round they finish in), so a healthy daemon's log says it is working.
  void RoundSummary(const std::shared_ptr<Generation>& g) {
    auto now = SteadyClock::now();
    if (!g->round_done || now - round_.since < g->program->config.defaults.interval) return;
    auto report = Report(g, {}, {}, {});
    double secs = std::chrono::duration<double>(now - round_.since).count();
    char took[32];
    std::snprintf(took, sizeof took, "%.0f", secs);
    Log(spdlog::level::info,
        "round: " + std::to_string(round_.collected) + " collections in the last " + took +
            " s (" + std::to_string(round_.changed) + " changed, " + std::to_string(round_.failed) +
            " failed); " + std::to_string(report.findings.size()) + " findings, " +
            std::to_string(report.sources_failed) + " of " + std::to_string(report.sources) +
            " sources down");
    round_ = RoundCounts{.since = now};
  }

  // Drops a reference to a snapshot on the pool: freeing a large tree (a 10k-leaf document
  // is thousands of allocations) is work the io thread serving the API should not do.
  void FreeOnPool(std::shared_ptr<const Document> doc) {
    if (doc) runtime_->Blocking([doc = std::move(doc)] {});
  }

  void RecordSnapshot(std::shared_ptr<Generation> g, size_t i) {
    const Target& t = *g->targets[i];
    auto& st = g->states[i];
    SnapshotRecord rec{t.service->name, t.source->name,
                       g->program->config.environments[t.env].name, st.hash, "", Now()};
    auto doc = st.doc;
    auto packed = st.packed;
    runtime_->Blocking([this, rec, doc, packed, &t, g]() mutable {
      if (!doc && packed) doc = std::make_shared<const Document>(packed->Unpack());
      if (!doc) return;
      rec.document = RedactedDocument(*doc, *g->program, t);
      store_->RecordSnapshot(std::move(rec));
    });
  }

  // Re-evaluates a (service, source) off the io thread; one evaluation per group at a time.
  void Evaluate(std::shared_ptr<Generation> g, size_t gi) {
    auto& grp = g->groups[gi];
    // Not before every env of the group was tried once: an env not collected yet is unknown
    // too, and an evaluation without it would resolve what it touches (a restart during an
    // outage resolved the findings paired with the down env). The last env's first result
    // starts the evaluation.
    for (size_t ti : grp.targets)
      if (!g->states[ti].tried) return;
    if (grp.evaluating) {
      grp.dirty = true;
      return;
    }
    grp.evaluating = true;
    ++g->pending_evaluations;
    runtime_->Blocking([this, g, gi, in = PrepareEvaluation(*g, gi)]() mutable {
      auto done = EvaluateGroup(*g, gi, std::move(in), store_.get(), g->id == current_gen_id_.load(),
                                Now());
      net::post(runtime_->io(), [this, g, gi, done = std::move(done)]() mutable {
        auto& grp = g->groups[gi];
        grp.findings = std::move(done.findings);
        if (g == gen_ && alerts_->enabled())
          alerts_->Update(grp.service->name, grp.source->name, done.envs, BuildAlerts(grp.findings));
        ++findings_version_;
        last_change_ = Now();
        grp.evaluating = false;
        --g->pending_evaluations;
        if (g == gen_) metrics_.Evaluated(grp.service->name);  // not a service a reload removed
        if (grp.dirty) {
          grp.dirty = false;
          Evaluate(g, gi);
        } else {
          for (auto& doc : g->Idle(gi)) FreeOnPool(std::move(doc));
        }
        RoundProgress(g);
      });
    });
  }

  // The first round is done when every source has been tried and the evaluations that
  // started are done: /readyz turns 200 (and stays so across reloads), --once stops.
  void RoundProgress(const std::shared_ptr<Generation>& g) {
    if (g != gen_ || g->round_done || stopping_ || !g->all_tried() || g->pending_evaluations) return;
    g->round_done = true;
    ready_ = true;
    // The first round parsed every snapshot and freed most of it again (they are held
    // packed): hand the freed pages back, or RSS stays at the round's peak.
    runtime_->Blocking([] { malloc_trim(0); });
    auto report = Report(g, {}, {}, {});
    double secs = std::chrono::duration<double>(SteadyClock::now() - round_.since).count();
    char took[32];
    std::snprintf(took, sizeof took, "%.1f", secs);
    Log(spdlog::level::info, "round done: " + std::to_string(report.findings.size()) +
                                 " findings, " + std::to_string(report.sources_failed) + " of " +
                                 std::to_string(report.sources) + " sources failed, in " + took +
                                 " s");
    round_ = RoundCounts{.since = SteadyClock::now()};
    if (opts_.once) Stop(0);
  }

  // The report is as of the last change (what a cached copy shows, too).
  CheckReport Report(const std::shared_ptr<Generation>& g, const std::string& service,
                     const std::string& env, const std::string& severity) {
    return g->Report(service, env, severity, last_change_.empty() ? Now() : last_change_);
  }

  // Rendered once per change of the findings or the sources' states, whoever asks.
  HttpServerResponse Findings(const std::shared_ptr<Generation>& g, const std::string& service,
                              const std::string& env, const std::string& severity,
                              const HttpServerRequest& r) {
    return findings_cache_.Get(service + "\x1f" + env + "\x1f" + severity, g->id, findings_version_,
                               "application/json", r, [&] {
                                 std::ostringstream rendered;
                                 json_sink_->Write(Report(g, service, env, severity), rendered);
                                 return rendered.str();
                               });
  }

  bool Authorized(const HttpServerRequest& r) {
    const std::string& token_tmpl = gen_->program->config.api_token;
    if (token_tmpl.empty()) return true;
    auto token = ResolveSecretRefs(token_tmpl, gen_->program->config.dir);
    if (!token.ok()) {
      Log(spdlog::level::err, "server.api_token: " + token.error().message);
      return false;
    }
    std::string want = "Bearer " + *token;
    return ConstantTimeEquals(r.authorization, want);
  }

  // Every endpoint, in one place (SPEC §7).
  Router MakeRouter() {
    Router router([this](const HttpServerRequest& r) { return Authorized(r); });
    auto q = [](const HttpServerRequest& r, const char* k) {
      auto it = r.query.find(k);
      return it == r.query.end() ? std::string() : it->second;
    };
    router.Add({"/metrics", "Prometheus metrics", false,
                [this](const HttpServerRequest& r) { return MetricsResponse(gen_, r); }});
    router.Add({"/healthz", "alive", false,
                [](const HttpServerRequest&) { return HttpServerResponse{200, "text/plain", "ok\n"}; }});
    router.Add({"/readyz", "every source tried once", false, [this](const HttpServerRequest&) {
                  return HttpServerResponse{ready_ ? 200 : 503, "text/plain", gen_->Progress() + "\n"};
                }});
    router.Add({"/api/v1/findings", "the current findings (?service, ?env, ?severity)", false,
                [this, q](const HttpServerRequest& r) {
                  std::string sev = q(r, "severity"), service = q(r, "service"), env = q(r, "env");
                  if (auto why = FilterError(*gen_, service, env, sev))
                    return JsonResponse(400, {{"error", *why}});
                  return Findings(gen_, service, env, sev, r);
                }});
    router.Add({"/api/v1/history",
                "a finding's occurrences (?finding=ID), or a path's values over time "
                "(?service=&path=, optional &source=&env=)",
                false, [this, q](const HttpServerRequest& r) { return History(r, q); }});
    router.Add({"/api/v1/sources", "each source's health", false, [this](const HttpServerRequest&) {
                  return JsonResponse(200, {{"sources", SourcesJson(gen_->Sources())}});
                }});
    router.Add({"/api/v1/check", "collect now (?service)", true,
                [this, q](const HttpServerRequest& r) { return TriggerCheck(q(r, "service")); }});
    router.Add({"/api/v1/reload", "reload drift.yaml", true, [this](const HttpServerRequest&) {
                  std::vector<std::string> errors;
                  if (Reload(&errors)) return JsonResponse(200, {{"reloaded", true}});
                  return JsonResponse(400, {{"reloaded", false}, {"errors", errors}});
                }});
    router.Add({"/",
                "the parity page (?owner=&env=&severity=&rule=, ?service= for a service's view)",
                false, [this, q](const HttpServerRequest& r) { return Page(r, q); }});
    return router;
  }

  template <typename Query>
  HttpServerResponse History(const HttpServerRequest& r, const Query& q) {
    std::string finding = q(r, "finding"), service = q(r, "service"), path = q(r, "path"),
                source = q(r, "source"), env = q(r, "env");
    if (!store_)
      return JsonResponse(404, {{"error", "no history: drift.yaml has no state.path"}});
    if (finding.empty() == (service.empty() || path.empty()))
      return JsonResponse(400, {{"error", "history needs ?finding=ID, or ?service=S&path=P "
                                          "(with &source= and &env= if wanted)"}});
    if (!finding.empty()) {
      auto j = store_->Read([&](Store& s) { return FindingHistoryJson(s, finding); });
      if (!j) return JsonResponse(404, {{"error", "no finding " + finding + " in the state store"}});
      return HttpServerResponse{200, "application/json", DumpJson(*j)};
    }
    if (auto why = FilterError(*gen_, service, env, "")) return JsonResponse(400, {{"error", *why}});
    if (!source.empty() && path != source && !path.starts_with(source + ".") &&
        !path.starts_with(source + "["))
      return JsonResponse(400, {{"error", "path '" + path + "' is not in source '" + source +
                                              "' (paths start with their source's name)"}});
    auto j = store_->Read([&](Store& s) { return PathHistoryJson(s, service, path, env); });
    if (!j.ok()) return JsonResponse(400, {{"error", j.error().message}});
    return HttpServerResponse{200, "application/json", DumpJson(*j)};
  }

  template <typename Query>
  HttpServerResponse Page(const HttpServerRequest& r, const Query& q) {
    auto g = gen_;
    PageView view = PageView::From([&](const char* name) { return q(r, name); });
    // (`.*`, Grafana's "All", is no filter: PageView::From drops it.)
    if (auto why = FilterError(*g, view.service, view.env, view.severity)) {
      return HttpServerResponse{400, "text/html; charset=utf-8", RenderPageError(*why)};
    }
    // The report behind the page is built once per change of the findings, not per request.
    if (!page_report_ || page_report_version_ != findings_version_ || page_report_gen_ != g.get()) {
      page_report_ = std::make_shared<const CheckReport>(Report(g, {}, {}, {}));
      page_report_version_ = findings_version_;
      page_report_gen_ = g.get();
    }
    auto held = page_report_;  // this request's, whatever a later one rebuilds
    const CheckReport& report = *held;
    PageInput in;
    in.report = &report;
    in.sources = g->Sources();
    in.now = UnixNow();
    in.endpoints = Endpoints();
    const Program& p = *g->program;
    for (size_t i = 0; i < p.config.services.size(); ++i)
      in.services.emplace_back(p.config.services[i].name,
                               i < p.ownership.size() ? p.ownership[i].owner : std::string());
    if (store_) {
      // The trend changes by the day: read at most every 5 minutes.
      auto now = SteadyClock::now();
      if (trend_at_ == SteadyClock::time_point() || now - trend_at_ > std::chrono::minutes(5)) {
        trend_ = store_->Read([&](Store& s) { return s.OpenFindingsByDay(14, in.now); });
        trend_at_ = now;
      }
      in.trend = trend_;
      if (!view.service.empty()) {
        // The findings on the page shown: at most kPageFindings lookups, each by the index
        // on finding_history(id).
        std::vector<std::string> ids;
        for (const Finding* f : ServiceView(report, view).shown) ids.push_back(f->id);
        in.history = store_->Read([&](Store& s) {
          std::map<std::string, std::vector<std::pair<std::string, std::string>>> out;
          for (const auto& id : ids)
            for (const auto& h : s.FindingHistory(id)) out[id].emplace_back(h.first_seen, h.resolved_at);
          return out;
        });
      }
    }
    HttpServerResponse resp(200, "text/html; charset=utf-8", "");
    auto body = std::make_shared<const std::string>(RenderPage(in, view));
    resp.shared_body = body;
    std::shared_ptr<const std::string> zipped;
    SendGzipIfAccepted(r, body, zipped, 6, resp);
    return resp;
  }

  // Why a filter names nothing that exists (a typo must not read as "no drift"), or nullopt.
  static std::optional<std::string> FilterError(const Generation& g, const std::string& service,
                                                const std::string& env, const std::string& sev) {
    const Config& c = g.program->config;
    auto list = [](const std::vector<std::string>& names) {
      std::string out;
      for (size_t i = 0; i < names.size(); ++i)
        out += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
      return out;
    };
    if (!sev.empty() && !ParseSeverity(sev))
      return "unknown severity '" + sev + "' (expected critical, warning or info)";
    if (!env.empty() && c.env_index(env) < 0)
      return "unknown env '" + env + "' (expected " + list(c.env_names()) + ")";
    if (!service.empty() && !c.service(service)) {
      std::vector<std::string_view> names;
      for (const auto& s : c.services) names.push_back(s.name);
      return "unknown service '" + service + "'" + DidYouMean(service, names);
    }
    return std::nullopt;
  }

  // The router's table, as the page lists it.
  std::vector<Endpoint> Endpoints() const {
    std::vector<Endpoint> out;
    for (const Route& r : router_.routes()) out.push_back(Endpoint{r.path, r.help, r.mutates_state});
    return out;
  }

  HttpServerResponse TriggerCheck(const std::string& service) {
    auto g = gen_;
    if (!service.empty() && !g->program->config.service(service))
      return JsonResponse(404, {{"error", "unknown service " + service}});
    size_t n = 0;
    auto now = SteadyClock::now();
    for (size_t i = 0; i < g->targets.size(); ++i) {
      if (!service.empty() && g->targets[i]->service->name != service) continue;
      g->scheduler.Trigger(i, now);
      ++n;
    }
    timer_->cancel();
    net::post(runtime_->io(), [this] { Tick(); });
    return JsonResponse(202, {{"triggered", n}});
  }

  HttpServerResponse MetricsResponse(const std::shared_ptr<Generation>& g, const HttpServerRequest& r) {
    // Findings gauges are recomputed only when findings changed, not per scrape.
    if (metrics_version_ != findings_version_ || metrics_gen_ != g.get()) {
      std::vector<const Finding*> all;
      for (const auto& grp : g->groups)
        for (const auto& f : grp.findings) all.push_back(&f);
      metrics_.SetFindings(all, UnixNow());
      metrics_version_ = findings_version_;
      metrics_gen_ = g.get();
    }
    // Serialized at most once a second: scrapes in a burst share one rendering.
    auto now = SteadyClock::now();
    if (metrics_text_version_ != findings_version_ || now - metrics_text_at_ > std::chrono::seconds(1) ||
        !metrics_text_) {
      metrics_.UpdateAges(UnixNow());
      if (server_) metrics_.SetConnections(server_->connections(), server_->rejected());
      metrics_text_ = std::make_shared<const std::string>(metrics_.Serialize());
      metrics_gzip_.reset();
      metrics_text_at_ = now;
      metrics_text_version_ = findings_version_;
    }
    // Prometheus asks for gzip: 10-20x smaller. Level 1, as the text is rendered every second.
    HttpServerResponse resp(200, "text/plain; version=0.0.4; charset=utf-8", "");
    resp.shared_body = metrics_text_;
    resp.headers = {{"Vary", "Accept-Encoding"}};
    SendGzipIfAccepted(r, metrics_text_, metrics_gzip_, 1, resp);
    return resp;
  }

  DaemonOptions opts_;
  Router router_ = MakeRouter();
  std::unique_ptr<Executor> executor_;  // outlives runtime_, which waits for its work
  std::unique_ptr<Runtime> runtime_;
  std::unique_ptr<StoreWriter> store_;
  std::unique_ptr<HttpServer> server_;
  std::string bound_;  // host:port the server listens on ("" with --once)
  std::map<std::string, std::vector<int>> trend_;  // the page's, read from the store
  std::shared_ptr<const CheckReport> page_report_;   // the page's, as of page_report_version_
  uint64_t page_report_version_ = 0;
  const Generation* page_report_gen_ = nullptr;
  SteadyClock::time_point trend_at_;
  struct RoundCounts {
    SteadyClock::time_point since = SteadyClock::now();
    uint64_t collected = 0, changed = 0, failed = 0;
  } round_;
  std::unique_ptr<net::signal_set> signals_;
  std::unique_ptr<net::steady_timer> timer_;
  std::unique_ptr<net::steady_timer> discover_timer_;
  std::shared_ptr<Generation> gen_;
  uint64_t generation_counter_ = 0;
  Metrics metrics_;
  // Bumped whenever findings or source states change; caches compare against it.
  uint64_t findings_version_ = 1;
  uint64_t metrics_version_ = 0;
  const Generation* metrics_gen_ = nullptr;
  static constexpr size_t kMaxCachedReports = 64;
  ResponseCache findings_cache_{kMaxCachedReports};
  std::string last_change_;
  std::unique_ptr<Sink> json_sink_ = MakeSink("json", {});
  std::shared_ptr<const std::string> metrics_text_, metrics_gzip_;
  SteadyClock::time_point metrics_text_at_{};
  uint64_t metrics_text_version_ = 0;
  bool stopping_ = false;
  bool ready_ = false;  // the first generation finished its first round (see RoundProgress)
  // The generation whose evaluations may write findings to the store (read on the pool).
  std::atomic<uint64_t> current_gen_id_{0};
  int exit_code_ = 0;
  std::unique_ptr<AlertDispatcher> alerts_;
};

}  // namespace

int RunDaemon(const DaemonOptions& options) {
  spdlog::set_pattern(options.log_format == "json"
                          ? R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":%v})"
                          : "%Y-%m-%dT%H:%M:%S.%e %l %v",
                      spdlog::pattern_time_type::utc);
  SetJsonLogs(options.log_format == "json");
  Daemon d(options);
  return d.Run();
}

}  // namespace drift
