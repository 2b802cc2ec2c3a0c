// type: http — GET an endpoint per env.
#include "collectors/builtin.h"

namespace drift {
namespace {

struct HttpOptions {
  std::string url;
  std::map<std::string, std::string> headers;
  std::string ca_file;
  bool insecure = false;
  int retries = 2;
  uint64_t max_size = 16ull << 20;
  bool decode_base64 = false;
};

class HttpCollector final : public Collector {
 public:
  HttpCollector(HttpOptions o, CommonOptions c) : o_(std::move(o)), common_(std::move(c)) {}
  std::string describe() const override { return o_.url; }
  Result<Document> Collect() override {
    return MakeError("the http collector is not available in this build yet");
  }

 private:
  HttpOptions o_;
  CommonOptions common_;
};

}  // namespace

std::unique_ptr<Collector> MakeHttpCollector(const YAML::Node& spec, const SourceContext& ctx,
                                             YamlReader& r) {
  CommonOptions common = ReadCommonOptions(spec, ctx.config, r);
  HttpOptions o;
  bool ok = true;
  auto url = Get(spec, "url");
  if (!url.IsDefined()) {
    r.Error(spec, "an http source needs a url");
    return nullptr;
  }
  if (auto s = r.String(url, "url")) {
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
    if (auto n = r.Int(v, "max_size (bytes)", 1, 1ll << 40)) o.max_size = *n;
    else ok = false;
  }
  if (auto v = Get(spec, "decode"); v.IsDefined()) {
    if (auto s = r.String(v, "decode")) {
      if (*s == "base64") o.decode_base64 = true;
      else {
        r.Error(v, "decode must be base64");
        ok = false;
      }
    }
  }
  if (!ok) return nullptr;
  return std::make_unique<HttpCollector>(std::move(o), std::move(common));
}

}  // namespace drift
