// A metric family of many series (one per source or service) kept as rendered Prometheus text
// lines: a change re-renders one line and a scrape appends the lines. prometheus-cpp builds
// every label pair of every series anew on each scrape, which took ~200 ms for the 100,000
// series of a 10,000-service fleet; this is a copy of ~10 MB.
// Not thread-safe (the daemon's io thread owns it, as it owns Metrics).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace drift {

class TextFamily {
 public:
  using Handle = uint32_t;
  using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

  // `type`: "gauge" or "counter".
  TextFamily(std::string name, std::string_view help, std::string_view type);

  // A new series with these labels (printed sorted by name), value 0.
  Handle Add(const Labels& labels);
  void Set(Handle h, double v);
  void Increment(Handle h, double by = 1) { Set(h, value(h) + by); }
  double value(Handle h) const { return series_[h].value; }
  // The handle is invalid afterwards (and may be given out again by Add).
  void Remove(Handle h);
  size_t size() const { return series_.size() - free_.size(); }

  // HELP, TYPE and every series, as the text exposition format writes a family.
  void AppendTo(std::string& out) const;

 private:
  struct Series {
    std::string line;  // name{labels} value\n
    uint32_t value_at = 0;  // where the value starts in `line`
    bool live = false;
    double value = 0;
  };
  std::string name_;
  std::string header_;
  std::vector<Series> series_;
  std::vector<Handle> free_;
  size_t bytes_ = 0;  // of the live lines, to size a scrape's buffer at once
};

// A sample value as Prometheus prints it: shortest round-trip digits, NaN, +Inf, -Inf.
void AppendSampleValue(std::string& out, double v);
// A label value escaped for the text format (backslash, double quote, newline).
void AppendLabelValue(std::string& out, std::string_view v);

}  // namespace drift
