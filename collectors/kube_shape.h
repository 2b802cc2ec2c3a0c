// How objects read from the Kubernetes API become a snapshot (SPEC §2.1): fields the server
// writes removed, lists the API merges by name keyed by name, Secret data decoded, `strip:`
// selectors applied. Stateless and thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "collectors/kube_api.h"
#include "core/document.h"
#include "core/selector.h"

namespace drift {

struct KubeShape {
  std::string kind;  // as FindKnownKind normalized it (a Secret's data is decoded)
  bool by_selector = false;  // a map from object name to object; else the first object
  bool keep_server_fields = false;
  std::vector<Selector> strip;  // selectors starting with the source's name
  std::string source;           // the source's name
};

// `secrets`, `Secret`, `SECRET`: a Secret.
bool IsSecretKind(const std::string& kind);

// The snapshot of `objects` (name mode: the first, absent when its node is kNoNode), before
// `extract` and `embedded` (FinishSnapshot).
Document ShapeKubeObjects(const std::vector<std::pair<std::string, KubeObject>>& objects,
                          const KubeShape& shape, std::string origin);

}  // namespace drift
