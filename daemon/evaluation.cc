#include "daemon/evaluation.h"

#include <iterator>

#include "daemon/stale.h"

namespace drift {

GroupEvaluation PrepareEvaluation(const Generation& g, size_t gi) {
  const auto& grp = g.groups[gi];
  const Config& c = g.program->config;
  GroupEvaluation in;
  in.docs.resize(c.environments.size());
  in.packed.resize(c.environments.size());
  in.unknown_since.resize(c.environments.size());
  for (size_t ti : grp.targets) {
    const auto& st = g.states[ti];
    int env = g.targets[ti]->env;
    in.docs[env] = st.doc;
    if (!st.doc) in.packed[env] = st.packed;
    // What a failed source touches keeps its last known state.
    if (!st.held() && st.tried && !st.last_error.empty()) {
      in.unknown_since[env] = st.unknown_since;
      in.any_unknown = true;
    }
    in.redact_all = in.redact_all || g.targets[ti]->collector->redact_all();
  }
  // Copied only while something is unknown: a group can hold thousands.
  if (in.any_unknown) in.previous = grp.findings;
  return in;
}

EvaluatedGroup EvaluateGroup(const Generation& g, size_t gi, GroupEvaluation in,
                             StoreWriter* store, bool record, const std::string& now) {
  const auto& grp = g.groups[gi];
  for (size_t env = 0; env < in.packed.size(); ++env)
    if (!in.docs[env] && in.packed[env])
      in.docs[env] = std::make_shared<const Document>(in.packed[env]->Unpack());
  std::vector<const Document*> ptrs;
  for (const auto& d : in.docs) ptrs.push_back(d.get());
  const auto& owner = g.program->ownership[grp.service_index].owner;
  EvaluatedGroup out;
  out.findings = g.evaluator->Evaluate(*grp.service, owner, grp.source->name, ptrs, in.redact_all);
  out.envs = ResolvableEnvs(*g.evaluator, *grp.service, in.docs);
  // Restarted (or reloaded) while a source is down: what it touched is in the store.
  if (in.any_unknown && in.previous.empty() && store)
    in.previous = store->OpenFindings(grp.service->name, grp.source->name);
  std::vector<std::string> keep = KeepStale(g.program->config, g.evaluator->BaselineFor(*grp.service),
                                            in.unknown_since, in.previous, out.findings);
  if (store && record)
    store->RecordFindings(grp.service->name, grp.source->name, out.envs, out.findings, now, keep);
  for (auto& f : out.findings)
    if (f.first_seen.empty()) f.first_seen = now;
  out.findings.insert(out.findings.end(), std::make_move_iterator(in.previous.begin()),
                      std::make_move_iterator(in.previous.end()));
  SortFindings(out.findings, g.program->config.env_names());
  return out;
}

}  // namespace drift
