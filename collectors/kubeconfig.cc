#include "collectors/kubeconfig.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "core/crypto.h"
#include "core/files.h"
#include "core/strings.h"

namespace drift {

namespace {

namespace fs = std::filesystem;

// One named entry of a kubeconfig list (a cluster, user or context) and the directory of the
// file it came from (its relative paths are relative to that).
struct Named {
  YAML::Node body;
  std::string dir;
};

struct Merged {
  std::string current_context;
  std::map<std::string, Named> clusters, users, contexts;
  std::vector<std::string> files;
};

std::string Str(const YAML::Node& n, const char* key) {
  YAML::Node v = n[key];
  return v && v.IsScalar() ? v.Scalar() : std::string();
}

std::string Relative(const std::string& path, const std::string& dir) {
  if (path.empty() || fs::path(path).is_absolute()) return path;
  return (fs::path(dir) / path).string();
}

// Adds one file: the first definition of a name wins, as kubectl merges $KUBECONFIG.
Status AddFile(const std::string& path, Merged& m) {
  auto text = ReadWholeFile(path, ReadLimits{1 << 20, {}, 0});
  if (!text.ok()) return text.error();
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    return MakeError("kubeconfig " + path + ": not valid YAML (line " +
                     std::to_string(e.mark.line + 1) + ")");
  }
  if (!root || root.IsNull()) return Ok();  // an empty file merges as nothing
  if (!root.IsMap()) return MakeError("kubeconfig " + path + ": not a kubeconfig (expected a map)");
  std::string dir = fs::path(path).parent_path().string();
  if (m.current_context.empty()) m.current_context = Str(root, "current-context");
  auto add = [&](const char* list, const char* body, std::map<std::string, Named>& into) -> Status {
    YAML::Node l = root[list];
    if (!l || l.IsNull()) return Ok();
    if (!l.IsSequence()) return MakeError("kubeconfig " + path + ": " + list + " must be a list");
    for (const auto& item : l) {
      if (!item.IsMap()) return MakeError("kubeconfig " + path + ": an entry of " + list + " is not a map");
      std::string name = Str(item, "name");
      YAML::Node b = item[body];
      if (name.empty() || !b || !b.IsMap())
        return MakeError("kubeconfig " + path + ": an entry of " + list + " needs name and " + body);
      into.emplace(name, Named{b, dir});
    }
    return Ok();
  };
  try {
    if (auto s = add("clusters", "cluster", m.clusters); !s.ok()) return s;
    if (auto s = add("users", "user", m.users); !s.ok()) return s;
    if (auto s = add("contexts", "context", m.contexts); !s.ok()) return s;
  } catch (const YAML::Exception&) {
    return MakeError("kubeconfig " + path + ": unexpected structure");
  }
  m.files.push_back(path);
  return Ok();
}

// A `*-data` field (base64 PEM) or its file counterpart.
Status ReadPem(const YAML::Node& body, const std::string& dir, const char* file_key,
               const char* data_key, std::string& file, std::string& pem, const std::string& what) {
  if (std::string d = Str(body, data_key); !d.empty()) {
    auto decoded = DecodeBase64(d);
    if (!decoded) return MakeError(what + ": " + data_key + " is not base64");
    pem = std::move(*decoded);
  } else if (std::string f = Str(body, file_key); !f.empty()) {
    file = Relative(f, dir);
    std::error_code ec;
    if (!fs::exists(file, ec)) return MakeError(what + ": " + file_key + " " + file + " does not exist");
  }
  return Ok();
}

Result<KubeTarget> FromKubeconfig(const Merged& m, const std::string& wanted) {
  std::string where = "kubeconfig " + Join(m.files, ":");
  std::string name = wanted.empty() ? m.current_context : wanted;
  if (name.empty()) return MakeError(where + " has no current-context; set context: on the source");
  auto ctx = m.contexts.find(name);
  if (ctx == m.contexts.end()) {
    std::vector<std::string_view> names;
    for (const auto& [n, _] : m.contexts) names.push_back(n);
    return MakeError(where + " has no context '" + name + "'" + DidYouMean(name, names));
  }
  KubeTarget t;
  t.context = name;
  try {
    const YAML::Node& c = ctx->second.body;
    t.namespace_ = Str(c, "namespace");
    std::string cluster = Str(c, "cluster"), user = Str(c, "user");
    auto cl = m.clusters.find(cluster);
    if (cl == m.clusters.end())
      return MakeError(where + ": context '" + name + "' names cluster '" + cluster + "', which it does not define");
    const YAML::Node& cb = cl->second.body;
    t.server = Str(cb, "server");
    while (t.server.ends_with("/")) t.server.pop_back();
    if (!t.server.starts_with("https://") && !t.server.starts_with("http://"))
      return MakeError(where + ": cluster '" + cluster + "' needs server: https://…");
    std::string what = where + ": cluster '" + cluster + "'";
    if (auto s = ReadPem(cb, cl->second.dir, "certificate-authority", "certificate-authority-data",
                         t.ca_file, t.ca_pem, what);
        !s.ok())
      return s.error();
    std::string insecure = Str(cb, "insecure-skip-tls-verify");
    t.insecure = insecure == "true";
    if (!user.empty()) {
      auto u = m.users.find(user);
      if (u == m.users.end())
        return MakeError(where + ": context '" + name + "' names user '" + user + "', which it does not define");
      const YAML::Node& ub = u->second.body;
      std::string uwhat = where + ": user '" + user + "'";
      if (ub["exec"])
        return MakeError(uwhat + " gets its credentials from an exec plugin, which drift does not run; "
                         "give it a token (tokenFile) or a client certificate");
      t.token = Str(ub, "token");
      std::string from = "token";
      if (t.token.empty()) {
        if (std::string f = Str(ub, "tokenFile"); !f.empty()) {
          auto tok = ReadWholeFile(Relative(f, u->second.dir), ReadLimits{1 << 20, {}, 0});
          if (!tok.ok()) return MakeError(uwhat + ": tokenFile: " + tok.error().message);
          t.token = std::string(Trim(*tok));
          from = "tokenFile " + Relative(f, u->second.dir);
        }
      }
      if (t.token.empty()) {
        // An auth provider (oidc, gcp) that already holds a token: no refresh is attempted.
        if (YAML::Node ap = ub["auth-provider"]; ap && ap["config"]) {
          t.token = Str(ap["config"], "id-token");
          if (t.token.empty()) t.token = Str(ap["config"], "access-token");
          from = "auth-provider";
        }
      }
      if (auto s = ReadPem(ub, u->second.dir, "client-certificate", "client-certificate-data",
                           t.cert_file, t.cert_pem, uwhat);
          !s.ok())
        return s.error();
      if (auto s = ReadPem(ub, u->second.dir, "client-key", "client-key-data", t.key_file,
                           t.key_pem, uwhat);
          !s.ok())
        return s.error();
      if ((t.cert_file.empty() && t.cert_pem.empty()) != (t.key_file.empty() && t.key_pem.empty()))
        return MakeError(uwhat + " needs both a client certificate and its key");
      t.username = Str(ub, "username");
      t.password = Str(ub, "password");
      if (t.token.empty()) from = !t.cert_file.empty() || !t.cert_pem.empty() ? "client certificate"
                                 : !t.username.empty()                    ? "basic"
                                                                          : "anonymous";
      // Two kubeconfigs may name different credentials alike: a digest of them tells apart
      // what each may read (shared lists are per identity).
      std::string secret_part = t.token + "\n" + t.cert_file + t.cert_pem + "\n" + t.key_file +
                                t.key_pem + "\n" + t.username + ":" + t.password;
      t.identity = t.server + " as " + user + " (" + from + " " + Sha256Hex(secret_part).substr(0, 16) + ")";
    } else {
      t.identity = t.server + " (anonymous)";
    }
  } catch (const YAML::Exception&) {
    return MakeError(where + ": unexpected structure in context '" + name + "'");
  }
  return t;
}

Result<KubeTarget> InCluster() {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  std::string dir = ServiceAccountDir();
  if (!host || !*host)
    return MakeError("no kubeconfig (kubeconfig:, $KUBECONFIG, ~/.kube/config) and not running in a "
                     "cluster (KUBERNETES_SERVICE_HOST is not set)");
  KubeTarget t;
  std::string h = host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6
  t.server = "https://" + h + ":" + (port && *port ? port : "443");
  t.context = "in-cluster";
  auto token = ReadWholeFile(dir + "/token", ReadLimits{1 << 20, {}, 0});
  if (!token.ok()) return MakeError("in-cluster service account: " + token.error().message);
  t.token = std::string(Trim(*token));
  t.ca_file = dir + "/ca.crt";
  if (auto ns = ReadWholeFile(dir + "/namespace", ReadLimits{4096, {}, 0}); ns.ok()) t.namespace_ = std::string(Trim(*ns));
  t.identity = t.server + " as the service account";
  return t;
}

}  // namespace

std::string ServiceAccountDir() {
  const char* d = std::getenv("DRIFT_SERVICEACCOUNT_DIR");
  return d && *d ? d : "/var/run/secrets/kubernetes.io/serviceaccount";
}

Result<KubeTarget> ResolveKubeTarget(const std::string& kubeconfig, const std::string& context) {
  std::vector<std::string> files;
  std::error_code ec;
  if (!kubeconfig.empty()) {
    files.push_back(kubeconfig);  // named explicitly: it must exist
  } else {
    // $KUBECONFIG may name files that do not exist (kubectl skips them; an optional Secret
    // mount may be absent): with none there, ~/.kube/config, then the service account.
    if (const char* env = std::getenv("KUBECONFIG"); env && *env) {
      std::string list = env;
      for (size_t at = 0; at <= list.size();) {
        size_t colon = std::min(list.find(':', at), list.size());
        std::string f = list.substr(at, colon - at);
        if (!f.empty() && fs::exists(f, ec)) files.push_back(f);
        at = colon + 1;
      }
    }
    if (const char* home = std::getenv("HOME"); files.empty() && home && *home) {
      std::string def = std::string(home) + "/.kube/config";
      if (fs::exists(def, ec)) files.push_back(def);
    }
  }
  if (files.empty()) {
    // The service account reaches only the cluster drift runs in: a named context there
    // means a kubeconfig mount is missing, and comparing every env with one cluster would
    // hide all drift.
    if (!context.empty() && context != "in-cluster")
      return MakeError("no kubeconfig (kubeconfig:, $KUBECONFIG or ~/.kube/config) for context '" +
                       context + "'");
    return InCluster();
  }
  Merged m;
  for (const auto& f : files)
    if (auto s = AddFile(f, m); !s.ok()) return s.error();
  return FromKubeconfig(m, context);
}

}  // namespace drift
