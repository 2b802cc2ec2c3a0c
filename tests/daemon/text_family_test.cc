// daemon/text_family: per-series lines rendered once, escaped and valued as Prometheus reads them.
#include "daemon/text_family.h"

#include <limits>

#include "tests/testing.h"

namespace drift {
namespace {

std::string Render(const TextFamily& f) {
  std::string out;
  f.AppendTo(out);
  return out;
}

TEST_CASE("text family: header, sorted and escaped labels, values re-rendered on change") {
  TextFamily f("drift_source_up", "1 when up\\now", "gauge");
  auto a = f.Add({{"service", "lms"}, {"env", "stage"}});
  auto b = f.Add({{"service", "we\"ird\\name\nx"}, {"env", "prod"}});
  f.Set(a, 1);
  CHECK(Render(f) ==
        "# HELP drift_source_up 1 when up\\\\now\n# TYPE drift_source_up gauge\n"
        "drift_source_up{env=\"stage\",service=\"lms\"} 1\n"
        "drift_source_up{env=\"prod\",service=\"we\\\"ird\\\\name\\nx\"} 0\n");
  f.Set(b, 1764540000.25);
  f.Set(a, std::numeric_limits<double>::quiet_NaN());
  std::string t = Render(f);
  CHECK(t.find("drift_source_up{env=\"stage\",service=\"lms\"} NaN\n") != std::string::npos);
  CHECK(t.find("service=\"we\\\"ird\\\\name\\nx\"} 1764540000.25\n") != std::string::npos);
  f.Set(a, std::numeric_limits<double>::infinity());
  CHECK(Render(f).find("service=\"lms\"} +Inf\n") != std::string::npos);
  f.Set(a, -0.000125);
  CHECK(Render(f).find("service=\"lms\"} -0.000125\n") != std::string::npos);
  CHECK(f.value(a) == -0.000125);
}

TEST_CASE("text family: removed series disappear and their slots are reused") {
  TextFamily f("drift_evaluations_total", "Rule evaluations", "counter");
  auto a = f.Add({{"service", "a"}});
  auto b = f.Add({{"service", "b"}});
  f.Increment(a);
  f.Increment(a, 2);
  f.Increment(b);
  CHECK(f.size() == 2);
  f.Remove(b);
  f.Remove(b);  // twice is harmless
  CHECK(f.size() == 1);
  CHECK(Render(f) ==
        "# HELP drift_evaluations_total Rule evaluations\n# TYPE drift_evaluations_total counter\n"
        "drift_evaluations_total{service=\"a\"} 3\n");
  auto c = f.Add({{"service", "c"}});
  CHECK(c == b);
  CHECK(f.value(c) == 0);
  CHECK(Render(f).find("drift_evaluations_total{service=\"c\"} 0\n") != std::string::npos);
  TextFamily empty("drift_x", "X", "gauge");
  CHECK(Render(empty) == "# HELP drift_x X\n# TYPE drift_x gauge\n");
  auto u = empty.Add({});
  empty.Set(u, 2);
  CHECK(Render(empty) == "# HELP drift_x X\n# TYPE drift_x gauge\ndrift_x 2\n");
}

}  // namespace
}  // namespace drift
