// What a Kubernetes API server answers (an object or a list, JSON or YAML) as drift shapes it
// into a snapshot (server fields, keyed lists, Secret decoding, strip, embedded ConfigMap
// files), and whatever a kubeconfig holds. The first byte picks the case.
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>

#include "collectors/collector.h"
#include "collectors/kube_shape.h"
#include "collectors/kubeconfig.h"
#include "core/parse.h"

namespace {

const std::vector<drift::Selector>& Strips() {
  static const std::vector<drift::Selector> s = [] {
    std::vector<drift::Selector> out;
    for (const char* t : {"s.spec.template.spec.containers[name=app].ports", "s.*.metadata.labels",
                          "s.**.terminationMessagePath"})
      out.push_back(*drift::Selector::Compile(t));
    return out;
  }();
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  uint8_t mode = data[0];
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (mode % 4 == 3) {
    // A kubeconfig (a file, as users give it), with and without a context.
    static const std::string path = [] {
      std::string p = "/tmp/drift-fuzz-kubeconfig-" + std::to_string(getpid());
      static std::string keep = p;
      std::atexit([] { ::unlink(keep.c_str()); });
      return p;
    }();
    std::ofstream(path, std::ios::binary | std::ios::trunc) << input;
    (void)drift::ResolveKubeTarget(path, "");
    (void)drift::ResolveKubeTarget(path, "prod");
    return 0;
  }
  // API servers answer JSON; YAML (the seeds are manifests) without anchors, which a JSON
  // answer cannot have and whose expansion in a copy is bounded only for embedded files.
  if ((mode & 4) && input.find('&') != std::string_view::npos) return 0;
  drift::ParseOptions po;
  po.origin = "https://127.0.0.1/apis";
  po.format = mode & 4 ? drift::Format::kYaml : drift::Format::kJson;
  auto doc = drift::ParseDocument(input, po);
  if (!doc.ok()) return 0;
  auto shared = std::make_shared<const drift::Document>(std::move(*doc));
  static const char* kKinds[] = {"Deployment", "Secret", "ConfigMap"};
  drift::KubeShape shape{kKinds[mode % 3], (mode & 8) != 0, (mode & 16) != 0, Strips(), "s"};
  std::vector<std::pair<std::string, drift::KubeObject>> objects;
  drift::NodeId root = shared->root();
  drift::NodeId items = shared->type(root) == drift::Type::kMap ? shared->find(root, "items") : drift::kNoNode;
  if (items != drift::kNoNode && shared->type(items) == drift::Type::kList) {
    int i = 0;
    for (const auto& e : shared->children(items))
      objects.emplace_back("o" + std::to_string(i++), drift::KubeObject{shared, e.value, "Deployment", "apps/v1"});
  } else {
    objects.emplace_back("o", drift::KubeObject{shared, root, "", ""});
  }
  drift::Document out = drift::ShapeKubeObjects(objects, shape, "fuzz");
  drift::CommonOptions common;
  common.source = "s";
  common.embedded.push_back(*drift::Selector::Compile(shape.by_selector ? "s.*.data.*" : "s.data.*"));
  common.implicit_embedded = 1;
  (void)drift::FinishSnapshot(std::move(out), common);
  return 0;
}
