// A loopback Kubernetes API server with one HTTPS server per cluster, for `make demo` and
// bench/run-k8s: drift (and kubectl) read it through the kubeconfig it writes.
//
//   drift-kube-apiserver --manifests DIR --out DIR [--namespace NS] [--latency MS]
//
// DIR/<cluster>/*.yaml are each cluster's objects (the first cluster, in the order of
// --clusters or by name, is the kubeconfig's current context). Writes OUT/kubeconfig (and
// the certificates beside it), prints "ready OUT/kubeconfig", and serves until SIGINT or
// SIGTERM, or until stdin closes when --stdin is given.
#include <signal.h>

#include <filesystem>
#include <iostream>
#include <sstream>

#include "tests/support/kube_api_server.h"

int main(int argc, char** argv) {
  std::string manifests, out, ns = "default", cluster_list;
  int latency = 0;
  bool until_stdin = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "drift-kube-apiserver: " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--manifests") manifests = next();
    else if (a == "--out") out = next();
    else if (a == "--namespace") ns = next();
    else if (a == "--latency") latency = std::atoi(next().c_str());
    else if (a == "--clusters") cluster_list = next();
    else if (a == "--stdin") until_stdin = true;
    else {
      std::cerr << "usage: drift-kube-apiserver --manifests DIR --out DIR [--namespace NS] "
                   "[--latency MS] [--clusters a,b,c] [--stdin]\n";
      return 2;
    }
  }
  if (manifests.empty() || out.empty()) {
    std::cerr << "drift-kube-apiserver: --manifests and --out are required\n";
    return 2;
  }
  std::vector<std::string> clusters;
  if (!cluster_list.empty()) {
    std::stringstream ss(cluster_list);
    for (std::string c; std::getline(ss, c, ',');) clusters.push_back(c);
  } else {
    for (const auto& e : std::filesystem::directory_iterator(manifests))
      if (e.is_directory()) clusters.push_back(e.path().filename().string());
    std::sort(clusters.begin(), clusters.end());
  }
  if (clusters.empty()) {
    std::cerr << "drift-kube-apiserver: no cluster directories in " << manifests << "\n";
    return 2;
  }
  // Block the signals before the server threads start, so that only sigwait sees them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::filesystem::create_directories(out);
  try {
    drift::testing::FakeKubeApi api(out, clusters);
    for (const auto& c : clusters) {
      std::string err = api.LoadManifests(c, manifests + "/" + c);
      if (!err.empty()) {
        std::cerr << "drift-kube-apiserver: " << err << "\n";
        return 1;
      }
      api.cluster(c).latency_ms = latency;
    }
    // Written whole, then renamed: whoever waits for the file never reads half of it.
    api.WriteKubeconfig(out + "/kubeconfig.tmp", ns);
    std::filesystem::rename(out + "/kubeconfig.tmp", out + "/kubeconfig");
    std::cout << "ready " << out << "/kubeconfig" << std::endl;
    if (until_stdin) {
      std::string line;
      while (std::getline(std::cin, line)) {
        if (line == "requests") std::cout << api.requests() << std::endl;
      }
    } else {
      int sig = 0;
      sigwait(&set, &sig);
    }
  } catch (const std::exception& e) {
    std::cerr << "drift-kube-apiserver: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
