// Where a Kubernetes API server is and how to authenticate to it: from a kubeconfig (the
// file kubectl reads) or, with none, the in-cluster service account. Stateless functions;
// the files are read on every call (tokens and certificates rotate), so results must not
// be kept longer than one collection.
#pragma once

#include <string>

#include "core/result.h"

namespace drift {

struct KubeTarget {
  std::string server;       // https://host:port (a path prefix is kept)
  std::string context;      // the context used ("in-cluster" for the service account)
  std::string namespace_;   // the context's namespace ("" when it names none)
  std::string ca_file, ca_pem;
  bool insecure = false;    // insecure-skip-tls-verify
  std::string token;        // bearer token (secret)
  std::string cert_file, cert_pem, key_file, key_pem;
  std::string username, password;  // basic auth (secret), rare
  // The identity the connection is made as, without secrets (a cache key): the server,
  // the user's name and where its credentials come from.
  std::string identity;
};

// `kubeconfig`: a path ("" = $KUBECONFIG, a ':'-separated list merged as kubectl does,
// else ~/.kube/config, else the in-cluster service account). `context`: "" = the current
// context. Relative paths in a kubeconfig are relative to its own directory. Errors name
// the file and the context, never a credential.
Result<KubeTarget> ResolveKubeTarget(const std::string& kubeconfig, const std::string& context);

// The directory the in-cluster service account is read from (token, ca.crt, namespace);
// tests point DRIFT_SERVICEACCOUNT_DIR elsewhere.
std::string ServiceAccountDir();

}  // namespace drift
