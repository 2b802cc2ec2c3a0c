#include "ownership/ownership.h"

#include <nlohmann/json.hpp>

#include "tests/testing.h"

namespace drift {
namespace {

using testing::Run;
using testing::TempDir;

TEST_CASE("Backstage refs and CODEOWNERS semantics") {
  CHECK(BackstageRefName("group:default/team-x") == "team-x");
  CHECK(BackstageRefName("group:team-x") == "team-x");
  CHECK(BackstageRefName("user:y") == "y");
  CHECK(BackstageRefName("team-z") == "team-z");
  Diagnostics w;
  CHECK(CodeownersRepoOwners("# c\n\n*  @org/team-a\n/docs/ @org/docs\n", "CO", w) == "team-a");
  CHECK(CodeownersRepoOwners("* @org/a\n/* @org/b you@example.org @solo\n", "CO", w) ==
        "b,you@example.org,solo");
  CHECK(CodeownersRepoOwners("/ @org/root # trailing comment\n", "CO", w) == "root");
  CHECK(CodeownersRepoOwners("/docs/ @org/docs\n/src/ @org/dev\n", "CO", w) == "");
  CHECK(w.items().empty());
  CHECK(CodeownersRepoOwners("* @org/a\n*\n", "CO", w) == "");
  REQUIRE(w.items().size() == 1);
  CHECK(w.items()[0].ToString() == "CO:2:1: warning: CODEOWNERS line for '*' names no owners");
}

TEST_CASE("drift owners: every kind of source, conflicts, unowned, bad files") {
  TempDir dir;
  dir.write("repos/a/openedx.yaml", "owner: team-x\n");
  dir.write("repos/b/catalog-info.yaml",
            "kind: Component\nmetadata: {name: other}\nspec: {owner: group:default/nope}\n---\n"
            "kind: Component\nmetadata: {name: b}\nspec: {owner: group:default/team-b}\n---\n"
            "kind: API\nmetadata: {name: b}\nspec: {owner: user:nobody}\n");
  dir.write("repos/b/openedx.yaml", "owner: team-b\n");
  dir.write("checkouts/c-repo/.github/CODEOWNERS", "* @org/team-c @org/team-c2\n");
  dir.write("checkouts/c-repo/CODEOWNERS", "* @org/ignored-root-file\n");
  dir.write("repos/d/CODEOWNERS", "/docs/ @org/docs\n");
  dir.write("repos/e/catalog-info.yaml", "kind: Component\nspec: [unclosed\n");
  dir.write("repos/e/docs/CODEOWNERS", "* @org/team-e\n/x/\n");
  std::string cfg = dir.write("drift.yaml", R"(version: 1
environments: [prod]
ownership: {repos: repos}
services:
  a: {owner: team-a, sources: {s: {type: file, path: x}}}
  b: {sources: {s: {type: file, path: x}}}
  c: {repo: checkouts/c-repo, sources: {s: {type: file, path: x}}}
  d: {sources: {s: {type: file, path: x}}}
  e: {sources: {s: {type: file, path: x}}}
)");
  auto r = Run({"owners", "-c", cfg, "--format", "json"});
  CHECK(r.code == 0);
  CHECK(nlohmann::json::parse(r.out) == nlohmann::json::parse(R"({"services": [
    {"service": "a", "owner": "team-a", "from": "drift.yaml",
     "candidates": [{"from": "openedx.yaml", "owner": "team-x"}], "disagreement": true},
    {"service": "b", "owner": "team-b", "from": "catalog-info.yaml",
     "candidates": [{"from": "openedx.yaml", "owner": "team-b"}], "disagreement": false},
    {"service": "c", "owner": "team-c,team-c2", "from": ".github/CODEOWNERS",
     "candidates": [], "disagreement": false},
    {"service": "d", "owner": "", "from": "", "candidates": [], "disagreement": false},
    {"service": "e", "owner": "team-e", "from": "docs/CODEOWNERS",
     "candidates": [], "disagreement": false}]})"));
  CHECK(r.err == dir.file("repos/e/catalog-info.yaml") +
                     ":3:1: warning: cannot read ownership file: end of sequence flow not found\n" +
                     dir.file("repos/e/docs/CODEOWNERS") +
                     ":2:1: warning: CODEOWNERS line for '/x/' names no owners\n");
  CHECK(Run({"owners", "-c", cfg, "--check"}).code == 1);
  CHECK(Run({"owners", "-c", cfg, "b", "--check"}).code == 0);
  CHECK(Run({"owners", "-c", cfg, "a", "--check"}).code == 1);
  CHECK(Run({"owners", "-c", cfg, "zz"}).code == 2);
  auto table = Run({"owners", "-c", cfg, "d"});
  CHECK(table.out == "d        UNOWNED (no owner in drift.yaml, catalog-info.yaml, openedx.yaml or "
                     "CODEOWNERS)\n");
}

TEST_CASE("findings carry the resolved owner, a rule's owner overrides") {
  TempDir dir;
  dir.write("repos/svc/catalog-info.yaml", "kind: Component\nspec: {owner: group:team-cat}\n");
  std::string cfg = dir.write("drift.yaml", R"(version: 1
environments: [prod, stage]
ownership: {repos: repos}
services:
  svc: {sources: {s: {type: file, path: "{env}.yaml"}}}
  lone: {sources: {s: {type: file, path: "{env}.yaml"}}}
rules:
  - name: special
    match: s.b
    owner: team-special
)");
  dir.write("prod.yaml", "a: 1\nb: 1\n");
  dir.write("stage.yaml", "a: 2\nb: 2\n");
  auto r = Run({"check", "-c", cfg, "--format", "json"});
  auto j = nlohmann::json::parse(r.out);
  REQUIRE(j["findings"].size() == 4);
  CHECK(j["findings"][0]["service"] == "lone");
  CHECK(j["findings"][0]["owner"] == "");
  CHECK(j["findings"][1]["owner"] == "team-special");
  CHECK(j["findings"][2]["service"] == "svc");
  CHECK(j["findings"][2]["owner"] == "team-cat");
  CHECK(j["findings"][3]["owner"] == "team-special");
}

}  // namespace
}  // namespace drift
