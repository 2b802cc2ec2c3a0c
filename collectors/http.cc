// type: http — GET an endpoint per env, with retries, TLS verification and a size cap.
#include <boost/asio/steady_timer.hpp>
#include <random>

#include "collectors/builtin.h"
#include "collectors/runtime.h"
#include "core/interpolate.h"
#include "core/secrets.h"

namespace drift {

namespace {

struct HttpOptions {
  std::string url;  // placeholders expanded, secrets not yet resolved (safe to show)
  std::map<std::string, std::string> headers;
  std::string ca_file;
  bool insecure = false;
  int retries = 2;
  uint64_t max_size = kDefaultMaxOutputSize;
};

// Retries: 200 ms, 400 ms … doubling up to 12.8 s, each ±25%.
constexpr double kFirstRetryMs = 200;
constexpr int kMaxDoublings = 6;
constexpr double kJitter = 0.25;
constexpr double kMinTryMs = 100;

class HttpCollector final : public Collector {
 public:
  HttpCollector(HttpOptions o, CommonOptions c, std::string dir)
      : Collector(std::move(c)), o_(std::move(o)), dir_(std::move(dir)),
        shown_url_(MaskSecretsInText(o_.url)) {}
  std::string describe() const override { return shown_url_; }

  void Start(Runtime& rt, CollectRequest request, Done done) const override {
    auto attempt = std::make_shared<Attempt>();
    attempt->done = std::move(done);
    attempt->request = std::move(request);
    // Secrets are resolved now, at collection time; only their values are hidden.
    auto url = ResolveSecretRefs(o_.url, dir_);
    if (!url.ok()) return attempt->done(url.error());
    attempt->req.url = *url;
    CollectResolvedSecrets(o_.url, *url, attempt->secrets);
    for (const auto& [k, v] : o_.headers) {
      auto value = ResolveSecretRefs(v, dir_);
      if (!value.ok()) return attempt->done(MakeError("header " + k + ": " + value.error().message));
      attempt->req.headers[k] = *value;
      CollectResolvedSecrets(v, *value, attempt->secrets);
    }
    attempt->req.ca_file = o_.ca_file;
    attempt->req.insecure = o_.insecure;
    attempt->deadline = std::chrono::steady_clock::now() + common_.timeout;
    attempt->req.max_size = o_.max_size;
    Try(rt, attempt);
  }

 private:
  struct Attempt {
    HttpRequest req;
    std::vector<std::string> secrets;
    int tries = 0;
    // `timeout` bounds the whole collection: every try and every wait between tries.
    std::chrono::steady_clock::time_point deadline;
    CollectRequest request;
    Done done;
  };

  void Try(Runtime& rt, std::shared_ptr<Attempt> a) const {
    ++a->tries;
    using namespace std::chrono;
    auto left = duration_cast<milliseconds>(a->deadline - steady_clock::now());
    a->req.timeout = std::max(left, milliseconds(1));
    rt.http().Send(a->req, [this, &rt, a](HttpResponse r) {
      bool retry = a->tries <= o_.retries &&
                   (r.retryable || r.status == 429 || (r.status >= 500 && r.status <= 599));
      std::string note;
      double ms = 0;
      if (retry) {
        // Exponential backoff with jitter; Retry-After wins when the server sends it. The
        // wait and the next try must fit in what is left of the timeout, else this answer is
        // the collection's.
        static thread_local std::mt19937 rng{std::random_device{}()};
        double base = kFirstRetryMs * (1 << std::min(a->tries - 1, kMaxDoublings));
        ms = std::uniform_real_distribution<double>(base * (1 - kJitter), base * (1 + kJitter))(rng);
        if (r.retry_after_s >= 0) ms = static_cast<double>(r.retry_after_s) * 1000.0;
        double left_ms =
            duration<double, std::milli>(a->deadline - steady_clock::now()).count();
        // A try needs some time of its own: at least kMinTryMs, or a tenth of the timeout.
        double min_try = std::max(kMinTryMs, common_.timeout.count() / 10.0);
        if (ms + min_try > left_ms) {
          retry = false;
          note = r.retry_after_s >= 0 ? " (Retry-After " + std::to_string(r.retry_after_s) +
                                            " s is beyond the collection's timeout)"
                                      : " (no time left in the collection's timeout to retry)";
        }
      }
      if (retry) {
        auto timer = std::make_shared<boost::asio::steady_timer>(rt.io());
        timer->expires_after(std::chrono::milliseconds(static_cast<long>(ms)));
        timer->async_wait([this, &rt, a, timer](boost::system::error_code) { Try(rt, a); });
        return;
      }
      if (!r.error.empty()) {
        Error e = MakeError(ScrubSecrets(r.error, a->secrets) + " (GET " + describe() + ")" + note);
        e.kind = r.error_kind;
        return a->done(std::move(e));
      }
      if (r.status < 200 || r.status > 299)
        return a->done(MakeError("HTTP " + std::to_string(r.status) + " from " + describe() + note));
      // Parsing a large body must not stall the event loop.
      rt.Blocking([this, a, r = std::move(r)] {
        auto doc = Parse(r.body, a->request, describe(), FormatFromContentType(r.content_type));
        if (!doc.ok()) {
          Error e = doc.error();
          e.message = ScrubSecrets(e.message, a->secrets);
          return a->done(e);
        }
        a->done(std::move(doc));
      });
    });
  }

  HttpOptions o_;
  std::string dir_;
  std::string shown_url_;  // the URL as messages show it (a password written in it masked)
};

}  // namespace

std::unique_ptr<Collector> MakeHttpCollector(const YAML::Node& spec, const SourceContext& ctx,
                                             YamlReader& r) {
  CommonOptions common = ReadCommonOptions(spec, ctx.config, r, ctx.source.name);
  HttpOptions o;
  bool ok = true;
  auto url = Get(spec, "url");
  if (!url.IsDefined()) {
    r.Error(spec, "an http source needs a url");
    ok = false;
  } else if (auto s = r.String(url, "url")) {
    o.url = ctx.expand(*s);
    if (!o.url.starts_with("http://") && !o.url.starts_with("https://") &&
        !o.url.starts_with("${")) {
      r.Error(url, "url must start with http:// or https://");
      ok = false;
    }
  } else {
    ok = false;
  }
  if (auto h = Get(spec, "headers"); h.IsDefined()) {
    if (r.ExpectMap(h, "headers")) {
      for (auto it = h.begin(); it != h.end(); ++it) {
        auto v = r.String(it->second, "header value");
        if (v) o.headers[it->first.Scalar()] = ctx.expand(*v);
        else ok = false;
      }
    } else {
      ok = false;
    }
  }
  if (auto v = Get(spec, "ca_file"); v.IsDefined()) {
    if (auto s = r.String(v, "ca_file")) o.ca_file = ctx.config.Resolve(ctx.expand(*s));
  }
  if (auto v = Get(spec, "insecure"); v.IsDefined()) {
    if (auto b = r.Bool(v, "insecure")) o.insecure = *b;
    else ok = false;
  }
  if (auto v = Get(spec, "retries"); v.IsDefined()) {
    if (auto n = r.Int(v, "retries", 0, 10)) o.retries = static_cast<int>(*n);
    else ok = false;
  }
  if (auto v = Get(spec, "max_size"); v.IsDefined()) {
    if (auto n = r.Int(v, "max_size (bytes)", 1, kMaxSizeLimit)) o.max_size = *n;
    else ok = false;
  }
  if (!ok) return nullptr;
  return std::make_unique<HttpCollector>(std::move(o), std::move(common), ctx.config.dir);
}

}  // namespace drift
