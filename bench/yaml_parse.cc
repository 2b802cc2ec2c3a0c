// Parse-only figures for YAML snapshots: for each file, the median of RUNS (default 5) runs of
//   libyaml   libyaml's event loop alone (the reader drift used before libfyaml)
//   libfyaml  libfyaml's event loop alone (what drift reads with), scalars' text not taken
//   fyreader  drift's libfyaml reader alone (ParseYamlLibfyaml: the previous build's reader)
//   drift     drift's ParseYaml: its block reader, else libfyaml's events, into a Document
// so that a figure is read against its baselines of the same run. Prints, never asserts.
#include <libfyaml.h>
#include <yaml.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "core/parse.h"

namespace {

// Median seconds of each of `runs`, taking turns so that a slow spell of a shared machine
// falls on every reader alike.
std::vector<double> Medians(const std::vector<std::function<bool()>>& readers, int runs, bool& ok) {
  std::vector<std::vector<double>> t(readers.size());
  for (int r = 0; r < runs; ++r) {
    for (size_t i = 0; i < readers.size(); ++i) {
      auto start = std::chrono::steady_clock::now();
      ok = readers[i]() && ok;
      t[i].push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
  }
  std::vector<double> out;
  for (auto& v : t) {
    std::sort(v.begin(), v.end());
    out.push_back(v[v.size() / 2]);
  }
  return out;
}

bool Libyaml(const std::string& text) {
  yaml_parser_t p;
  yaml_parser_initialize(&p);
  yaml_parser_set_input_string(&p, reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  bool ok = true;
  for (;;) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&p, &ev)) {
      ok = false;
      break;
    }
    bool end = ev.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&ev);
    if (end) break;
  }
  yaml_parser_delete(&p);
  return ok;
}

bool Libfyaml(const std::string& text) {
  fy_parse_cfg cfg{};
  cfg.flags =
      static_cast<fy_parse_cfg_flags>(FYPCF_QUIET | FYPCF_DEFAULT_VERSION_1_2 | FYPCF_JSON_NONE);
  fy_parser* p = fy_parser_create(&cfg);
  fy_parser_set_string(p, text.data(), text.size());
  size_t chars = 0;
  while (fy_event* ev = fy_parser_parse(p)) {
    // Where each scalar ends, the least a reader looks at (drift reads one-line scalars in
    // place from their marks).
    if (ev->type == FYET_SCALAR && ev->scalar.value)
      chars += fy_token_end_mark(ev->scalar.value)->input_pos;
    fy_parser_event_free(p, ev);
  }
  bool ok = !fy_parser_get_stream_error(p);
  fy_parser_destroy(p);
  return ok && chars > 0;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = std::getenv("RUNS") ? std::atoi(std::getenv("RUNS")) : 5;
  std::printf("%-28s %6s %10s %10s %10s %10s %14s %14s\n", "file", "MiB", "libyaml_s", "libfyaml_s",
              "fyreader_s", "drift_s", "drift/libyaml", "drift/fyreader");
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    bool ok = true;
    auto drift_reader = [&] {
      drift::ParseOptions o;
      o.origin = argv[i];
      return drift::ParseYaml(text, o).ok();
    };
    auto fy_reader = [&] {
      drift::ParseOptions o;
      o.origin = argv[i];
      return drift::ParseYamlLibfyaml(text, o).ok();
    };
    // DRIFT_ONLY=1: drift's reader alone (for a profiler).
    std::vector<double> m = std::getenv("DRIFT_ONLY")
                                ? Medians({drift_reader}, runs, ok)
                                : Medians({[&] { return Libyaml(text); },
                                           [&] { return Libfyaml(text); }, fy_reader, drift_reader},
                                          runs, ok);
    double c = m.back(), a = m.size() > 1 ? m[0] : 1, b = m.size() > 1 ? m[1] : 1,
           f = m.size() > 1 ? m[2] : 1;
    std::string name = argv[i];
    if (auto slash = name.find_last_of('/'); slash != std::string::npos)
      name = name.substr(name.find_last_of('/', slash - 1) + 1);
    std::printf("%-28s %6.1f %10.3f %10.3f %10.3f %10.3f %13.2fx %13.2fx%s\n", name.c_str(),
                text.size() / 1048576.0, a, b, f, c, c / a, c / f, ok ? "" : "  (a parser failed)");
  }
}
