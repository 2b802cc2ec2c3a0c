// Discovery (SPEC §2.2): `discover:` generators list what exists in each env (files by glob,
// a command's output) and every name found becomes a service from the generator's template,
// so a fleet needs one template instead of one entry per service. Functions here are
// stateless; Discover may run collections (exec) and blocks until they are done.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/diagnostics.h"
#include "core/result.h"

namespace drift {

// What one generator found in one env: service names (after exclude and rename), or why it
// could not tell.
using EnvListing = Result<std::vector<std::string>>;

struct GeneratorFindings {
  std::string generator;
  std::map<std::string, EnvListing> by_env;  // every env of the config
};

struct Discovery {
  std::vector<GeneratorFindings> generators;  // config.discover order
};

// Checks what generators say beyond drift.yaml's shape (a kubernetes generator's kind,
// selector, …), with positions, before anything is discovered.
void CheckGenerators(const Config& config, Diagnostics& diags);

// Runs every generator of `config` in every env. A generator-env that fails keeps what
// `previous` found there (the daemon's last good list), if anything.
Discovery Discover(const Config& config, const Discovery* previous = nullptr);

// Adds the discovered services to `config` (explicit services win over discovered ones of
// the same name; the first generator wins over later ones): each runs in the envs where it
// was found or its generator failed (those are unknown: see ServiceConfig), and is `missing`
// in the envs where the baseline has it but discovery did not find it.
void ApplyDiscovery(Config& config, const Discovery& discovery, Diagnostics& diags);

// Every generator-env that failed, as "discover/NAME in ENV: why" errors (service "discover",
// source the generator): a check reports them (exit 3) even when no service was found.
struct DiscoveryFailure {
  std::string generator, env, message;
};
std::vector<DiscoveryFailure> DiscoveryFailures(const Config& config, const Discovery& discovery);

// For `drift validate --discover`: one line per generator and env.
std::vector<std::string> DescribeDiscovery(const Config& config, const Discovery& discovery);

}  // namespace drift
