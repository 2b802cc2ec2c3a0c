// The Kubernetes API as drift reads it (SPEC §2.1): resource paths of kinds, GETs limited per
// API server (qps) and retried with backoff on 429/5xx within the collection's deadline, and
// reads shared between sources: when several sources want objects of one kind and namespace
// on one server, one LIST (paged) answers them all instead of one GET each.
//
// One KubeApi per Runtime; not thread-safe: use it on the runtime's io thread only (its
// callbacks run there too).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "collectors/kubeconfig.h"
#include "core/document.h"
#include "core/result.h"

namespace drift {

class Runtime;

// A kind as the API serves it.
struct KubeResource {
  std::string kind;           // Deployment
  std::string group_version;  // apps/v1, v1
  std::string plural;         // deployments
  bool namespaced = true;
  // The path of the collection: /api/v1/namespaces/NS/configmaps, /apis/apps/v1/deployments.
  std::string CollectionPath(const std::string& ns) const;
};

// The kinds drift knows without asking the server: core, apps, batch, networking.k8s.io
// (and policy, autoscaling, rbac). `kind` may be the kind, its plural or kubectl's short
// name, in any case; with `api_version` it must be that version's. nullptr: ask the server.
const KubeResource* FindKnownKind(std::string_view kind, std::string_view api_version);
std::vector<std::string_view> KnownKindNames();

// An object of a collection, or none (the server has no such object: `missing`).
struct KubeObject {
  std::shared_ptr<const Document> doc;  // a parsed GET or LIST answer
  NodeId node = kNoNode;                // the object in it; kNoNode: absent
  std::string list_kind;                // for objects out of a LIST: "Deployment" (items lack it)
  std::string api_version;
};

// The objects of a LIST (every page), by name in the order served.
struct KubeList {
  std::vector<std::pair<std::string, KubeObject>> items;
};

// What one read is allowed: the deadline of its collection, the server's rate and the
// size cap of one answer.
struct KubeBudget {
  std::chrono::steady_clock::time_point deadline;
  int qps = 20;
  uint64_t max_size = 64ull << 20;
  // A LIST made this recently answers a request for one of its objects (a quarter of the
  // source's interval: sources of one round share it, the next round lists again).
  std::chrono::milliseconds max_age{0};
};

class KubeApi {
 public:
  explicit KubeApi(Runtime& runtime);
  ~KubeApi();
  KubeApi(const KubeApi&) = delete;
  KubeApi& operator=(const KubeApi&) = delete;

  // The resource of `kind` (FindKnownKind, else the server's discovery document for
  // `api_version`, kept for the life of the runtime).
  void Resolve(const KubeTarget& target, const std::string& kind, const std::string& api_version,
               const KubeBudget& budget, std::function<void(Result<KubeResource>)> done);
  // One object by name: from a fresh shared LIST when there is one (or one is under way, or
  // this collection is asked for more than one name), else a GET. Absent (404) is not an
  // error.
  void Get(const KubeTarget& target, const std::string& collection, const std::string& name,
           const KubeBudget& budget, std::function<void(Result<KubeObject>)> done);
  // Every object of the collection matching a label selector ("" = all).
  void List(const KubeTarget& target, const std::string& collection, const std::string& selector,
            const KubeBudget& budget, std::function<void(Result<std::shared_ptr<const KubeList>>)> done);

  // Requests sent to API servers (retries and pages included), for benchmarks and tests.
  uint64_t requests() const { return requests_; }

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  uint64_t requests_ = 0;
  friend struct Impl;
};

}  // namespace drift
