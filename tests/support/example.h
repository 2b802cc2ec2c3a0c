// config/example as the tests run it: a copy in a temp dir, its http source served from
// the copy's envs/ by a test server, its Kubernetes clusters from the copy's manifests.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "tests/support/http_server.h"
#include "tests/support/kube_api_server.h"
#include "tests/testing.h"

namespace drift::testing {

// Serves a directory's files, as `make demo` does for the example's http source.
inline HttpReply ServeFile(const std::string& root, const HttpCall& c) {
  std::string path = root + c.target;
  if (c.target.find("..") != std::string::npos || !std::filesystem::is_regular_file(path))
    return {404, "not found", "text/plain"};
  return {200, ReadFile(path), "application/json"};
}

// A copy of config/example with a known fingerprint key, so output is reproducible, and its
// http source pointed at `server`.
inline std::string CopyExample(const TempDir& dir, const TestHttpServer& server) {
  std::filesystem::copy(SourceDir() + "/config/example", dir.path() + "/example",
                        std::filesystem::copy_options::recursive);
  std::filesystem::remove(dir.path() + "/example/drift-fingerprint.key");
  dir.write("example/drift-fingerprint.key", "0123456789abcdef0123456789abcdef");
  std::string cfg = ReadFile(dir.file("example/drift.yaml"));
  for (size_t at; (at = cfg.find("127.0.0.1:18080")) != std::string::npos;)
    cfg.replace(at, 15, "127.0.0.1:" + std::to_string(server.port()));
  return dir.write("example/drift.yaml", cfg);
}

// The example's Kubernetes clusters, from the copy's manifests, as `make demo` serves them;
// the kubeconfig goes where the example's kubernetes sources read it.
inline std::unique_ptr<FakeKubeApi> StartExampleClusters(const TempDir& dir) {
  std::string kube = dir.path() + "/example/kubernetes";
  auto api = std::make_unique<FakeKubeApi>(kube, std::vector<std::string>{"prod", "stage", "sandbox"});
  for (const char* c : {"prod", "stage", "sandbox"}) REQUIRE(api->LoadManifests(c, kube + "/" + c) == "");
  api->WriteKubeconfig(kube + "/kubeconfig", "openedx");
  return api;
}

}  // namespace drift::testing
