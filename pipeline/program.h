// Wires config, collectors and rules into something that runs: `drift check`, `validate`
// and the daemon all start from a Program. A Program is immutable once loaded; RunCheck may
// be called from several threads.
#pragma once

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/collector.h"
#include "core/config.h"
#include "core/diagnostics.h"
#include "core/report.h"
#include "discovery/discovery.h"
#include "ownership/ownership.h"
#include "rules/engine.h"
#include "rules/redact.h"
#include "rules/ruleset.h"

namespace drift {

struct Target {
  const ServiceConfig* service;
  const SourceConfig* source;
  int env;  // index into config.environments
  std::unique_ptr<Collector> collector;
};

struct Program {
  Config config;
  std::shared_ptr<const RuleSet> rules;
  std::unique_ptr<Redactor> redactor;
  std::vector<Target> targets;      // every (service, source, env) the services run in
  std::vector<ServiceOwnership> ownership;  // per service, config.services order
  std::vector<Diagnostic> ownership_warnings;
  std::chrono::sys_days today;
  std::vector<std::string> warnings;  // non-fatal problems found while loading
  Discovery discovery;  // what `discover:` found (empty when it did not run)
  std::vector<DiscoveryFailure> discovery_failures;  // generator-envs that failed (unknown)
};

struct LoadOptions {
  std::chrono::sys_days today = Today();
  // Warn about ${env:X}/${file:P} that do not resolve here (drift validate).
  bool check_secret_refs = false;
  // Create the fingerprint key file when missing (not for validate).
  bool create_key = true;
  // Run the `discover:` generators (validate contacts nothing unless asked); a generator-env
  // that fails keeps what `previous` found there (the daemon's last good list).
  bool discover = true;
  const Discovery* previous = nullptr;
  // What a discovery run already found (the daemon's periodic run): used instead of running
  // the generators again.
  const Discovery* found = nullptr;
};

// Loads drift.yaml and builds everything; nullptr when diags has errors.
std::unique_ptr<Program> LoadProgram(const std::string& path, Diagnostics& diags,
                                     const LoadOptions& options = {});

// How far a check's collection is, for a progress line. The check updates it as collections
// finish; anyone may read it meanwhile. Thread-safe.
class CheckProgress {
 public:
  struct Host {
    std::string name;  // host:port of an HTTP(S) source
    size_t left;       // its collections not finished yet
  };
  struct Snapshot {
    size_t total = 0, done = 0, failed = 0;
    std::vector<Host> busiest;  // hosts with the most collections left, most first
  };
  // One host per collection ("" when it has none): the check's collections, before they start.
  void Start(std::vector<std::string> hosts);
  void Done(size_t index, bool ok);
  Snapshot Get(size_t max_hosts = 3) const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> hosts_;
  std::map<std::string, size_t> left_;
  size_t done_ = 0, failed_ = 0;
};

// "host:port" of an http(s):// address ("" for anything else).
std::string HostOf(std::string_view url);

struct CheckOptions {
  std::vector<std::string> services;  // empty = all
  std::vector<std::string> envs;      // empty = all (the baseline is collected regardless)
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  // The state store's writes go on after RunCheck returns (CheckReport::recording), beside
  // rendering the report; without it RunCheck returns once they are done.
  // (Only with an executor of the caller's, which must outlive the report.)
  bool record_in_background = false;
  // Where collection, evaluation and the store's work run; without one, RunCheck makes one
  // of CheckWorkers threads for the check.
  Executor* executor = nullptr;
  // Updated while collecting, when given (the caller shows it).
  CheckProgress* progress = nullptr;
};

// The executor size for a check of `config`.
size_t CheckWorkers(const Config& config);

// A short hash of a snapshot's content, the same for the same content (detects changes;
// a release may compute it differently).
std::string SnapshotHash(const Document& d);
// The snapshot as the state store keeps it: secrets as fingerprints, and only documents of a
// sensible size ("" for larger ones: the hash alone records their changes).
// Values of `redact: true` rules in force for `target` are fingerprinted too.
std::string RedactedDocument(const Document& d, const Program& program, const Target& target);

// The envs whose open findings an evaluation may resolve: those collected, and none at all
// when the service's baseline was not (nothing could be compared). Unknown never resolves.
// A discovered service's open findings in the envs where discovery found it absent (not
// failed) may resolve too: discovery knows it is not there.
template <typename DocPtr>
std::vector<std::string> ResolvableEnvs(const Evaluator& evaluator, const ServiceConfig& service,
                                        const std::vector<DocPtr>& docs) {
  std::vector<std::string> envs;
  int base = evaluator.BaselineFor(service);
  if (base < 0 || !docs[base]) return envs;
  const auto& all = evaluator.config().environments;
  for (size_t e = 0; e < docs.size(); ++e) {
    const std::string& name = all[e].name;
    bool runs = std::find(service.envs.begin(), service.envs.end(), name) != service.envs.end();
    bool known_absent = !service.discovered_by.empty() && !runs &&
                        !service.discovery_unknown.count(name);
    if (docs[e] || known_absent) envs.push_back(name);
  }
  return envs;
}

// Collects every selected (service, source, env) once, concurrently, and evaluates the rules.
CheckReport RunCheck(const Program& program, const CheckOptions& options);

}  // namespace drift
