#include "ownership/ownership.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/files.h"
#include "core/strings.h"

namespace drift {

namespace {

std::optional<std::string> ReadText(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  auto text = ReadWholeFile(path);
  if (!text.ok()) return std::nullopt;
  return std::move(*text);
}

Position MarkOf(const std::string& file, const YAML::Mark& m) {
  return Position{file, static_cast<uint32_t>(m.line + 1), static_cast<uint32_t>(m.column + 1)};
}

// yaml-cpp is contained here: a bad file is a warning, never an exception.
std::vector<YAML::Node> LoadYamlDocs(const std::string& text, const std::string& file,
                                     Diagnostics& warnings) {
  try {
    return YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    warnings.Warning(MarkOf(file, e.mark), "cannot read ownership file: " + e.msg);
    return {};
  }
}

std::string ScalarAt(const YAML::Node& n, std::initializer_list<const char*> path) {
  // reset(), not operator=: assigning a yaml-cpp node writes through to the node it refers to.
  YAML::Node cur;
  cur.reset(n);
  for (const char* k : path) {
    if (!cur.IsMap()) return "";
    YAML::Node next;
    bool found = false;
    for (auto it = cur.begin(); it != cur.end() && !found; ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == k) {
        next.reset(it->second);
        found = true;
      }
    }
    if (!found) return "";
    cur.reset(next);
  }
  return cur.IsScalar() ? cur.Scalar() : "";
}

std::string FromCatalog(const std::string& file, const std::string& service,
                        Diagnostics& warnings) {
  auto text = ReadText(file);
  if (!text) return "";
  auto docs = LoadYamlDocs(*text, file, warnings);
  std::vector<const YAML::Node*> components;
  for (const auto& d : docs)
    if (ScalarAt(d, {"kind"}) == "Component") components.push_back(&d);
  const YAML::Node* pick = nullptr;
  for (const auto* c : components)
    if (ScalarAt(*c, {"metadata", "name"}) == service) pick = c;
  // A file describing one component describes this service, whatever it calls it.
  if (!pick && components.size() == 1) pick = components[0];
  if (!pick) return "";
  return BackstageRefName(ScalarAt(*pick, {"spec", "owner"}));
}

std::string FromOpenedx(const std::string& file, Diagnostics& warnings) {
  auto text = ReadText(file);
  if (!text) return "";
  auto docs = LoadYamlDocs(*text, file, warnings);
  return docs.empty() ? "" : std::string(Trim(ScalarAt(docs[0], {"owner"})));
}

}  // namespace

std::string BackstageRefName(std::string_view ref) {
  ref = Trim(ref);
  if (auto colon = ref.find(':'); colon != std::string_view::npos) ref = ref.substr(colon + 1);
  if (auto slash = ref.rfind('/'); slash != std::string_view::npos) ref = ref.substr(slash + 1);
  return std::string(ref);
}

std::string CodeownersRepoOwners(std::string_view text, const std::string& file,
                                 Diagnostics& warnings) {
  std::string owners;
  uint32_t lineno = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++lineno;
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = Trim(line);
    if (line.empty()) continue;
    std::vector<std::string> fields;
    std::istringstream in{std::string(line)};
    for (std::string f; in >> f;) fields.push_back(f);
    const std::string& pattern = fields[0];
    bool repo_wide = pattern == "*" || pattern == "/*" || pattern == "/";
    if (fields.size() == 1) {
      warnings.Warning(Position{file, lineno, 1},
                       "CODEOWNERS line for '" + pattern + "' names no owners");
      if (repo_wide) owners.clear();  // GitHub: such a line leaves the files unowned
      continue;
    }
    if (!repo_wide) continue;  // last matching line wins: a later '*' line replaces this
    std::vector<std::string> names;
    for (size_t i = 1; i < fields.size(); ++i) {
      std::string o = fields[i];
      if (o.starts_with("@")) {
        o = o.substr(1);
        if (auto slash = o.find('/'); slash != std::string::npos) o = o.substr(slash + 1);
      }
      names.push_back(o);
    }
    owners = Join(names, ",");
  }
  return owners;
}

ServiceOwnership ResolveOwnership(const Config& config, const ServiceConfig& service,
                                  Diagnostics& warnings) {
  ServiceOwnership out;
  out.service = service.name;
  std::vector<OwnerCandidate> all;
  if (!service.owner.empty()) all.push_back({"drift.yaml", service.owner});
  std::string repo = service.repo;
  if (repo.empty() && !config.ownership_repos.empty())
    repo = config.ownership_repos + "/" + service.name;
  if (!repo.empty()) {
    if (auto o = FromCatalog(repo + "/catalog-info.yaml", service.name, warnings); !o.empty())
      all.push_back({"catalog-info.yaml", o});
    if (auto o = FromOpenedx(repo + "/openedx.yaml", warnings); !o.empty())
      all.push_back({"openedx.yaml", o});
    // GitHub reads the first of these that exists.
    for (const char* rel : {".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"}) {
      std::string file = repo + "/" + rel;
      auto text = ReadText(file);
      if (!text) continue;
      if (auto o = CodeownersRepoOwners(*text, file, warnings); !o.empty())
        all.push_back({rel, o});
      break;
    }
  }
  if (all.empty()) return out;
  out.owner = all[0].owner;
  out.from = all[0].from;
  out.candidates.assign(all.begin() + 1, all.end());
  std::set<std::string> distinct;
  for (const auto& c : all) distinct.insert(ToLower(c.owner));
  out.disagreement = distinct.size() > 1;
  return out;
}

std::vector<ServiceOwnership> ResolveAllOwnership(const Config& config, Diagnostics& warnings) {
  std::vector<ServiceOwnership> out;
  for (const auto& s : config.services) out.push_back(ResolveOwnership(config, s, warnings));
  return out;
}

}  // namespace drift
