#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "collectors/builtin.h"
#include "collectors/runtime.h"
#include "tests/collectors/collectors_testing.h"
#include "tests/testing.h"

namespace drift {
namespace {

using testing::TempDir;

struct Built {
  Diagnostics diags;
  std::optional<Config> config;
  std::unique_ptr<Collector> collector;
};

std::unique_ptr<Built> Build(const TempDir& dir, const std::string& source_yaml) {
  auto b = std::make_unique<Built>();
  std::string text = "version: 1\nenvironments: [prod, stage]\nservices:\n  svc:\n    sources:\n"
                     "      s: " + source_yaml + "\n";
  b->config = LoadConfigFromString(text, dir.file("drift.yaml"), b->diags);
  REQUIRE(b->config);
  YamlReader reader(b->config->path, b->diags);
  const auto& svc = b->config->services[0];
  b->collector = MakeCollector(SourceContext{*b->config, svc, svc.sources[0], "stage"}, reader);
  return b;
}

TEST_CASE("file: path template per env, format by extension or format:, extract") {
  TempDir dir;
  dir.write("stage/app.yml", "a: {b: [1, 2]}\n");
  auto b = Build(dir, "{type: file, path: \"{env}/app.yml\", extract: a.b}");
  REQUIRE(b->collector);
  auto doc = CollectOnce(*b->collector);
  REQUIRE(doc.ok());
  CHECK(DumpJson(ToJson(*doc, doc->root())) == "[1,2]");
  CHECK(doc->origin() == dir.file("stage/app.yml"));

  dir.write("stage.conf", "{\"x\": 1}");
  auto j = Build(dir, "{type: file, path: \"{env}.conf\", format: json}");
  auto jd = CollectOnce(*j->collector);
  REQUIRE(jd.ok());
  CHECK(DumpJson(ToJson(*jd, jd->root())) == "{\"x\":1}");
}

// SPEC §2: embedded documents by their key's extension, decode: base64 on any source.
TEST_CASE("file: embedded documents, decode: base64, csv with key:") {
  TempDir dir;
  dir.write("stage/cm.json", R"({"data": {"lms.yml": "FEATURES:\n  X: true\n", "app.env": "A=1\n",
    "bad.yml": "a: [unclosed", "notes.txt": "plain", "other": "k: v"}})");
  auto b = Build(dir, "{type: file, path: \"{env}/cm.json\", embedded: [\"s.data.*\"]}");
  REQUIRE(b->collector);
  auto doc = CollectOnce(*b->collector);
  REQUIRE(doc.ok());
  CHECK(DumpJson(ToJson(*doc, doc->root())) ==
        R"({"data":{"lms.yml":{"FEATURES":{"X":true}},"app.env":{"A":"1"},"bad.yml":"a: [unclosed",)"
        R"("notes.txt":"plain","other":"k: v"}})");
  REQUIRE(doc->warnings().size() == 3);
  CHECK(doc->warnings()[0].starts_with("embedded s.data[\"bad.yml\"] is not valid yaml ("));
  CHECK(doc->warnings()[0].ends_with("); compared as a string"));
  CHECK(doc->warnings()[1] ==
        "embedded s.data[\"notes.txt\"]: 'notes.txt' has no extension drift reads (.yaml, .json, "
        ".env, .ini, .properties, .csv, .tsv); set embedded_format to parse it");
  // embedded_format: every selected string in that format.
  auto f = Build(dir, "{type: file, path: \"{env}/cm.json\", embedded: [s.data.other], "
                      "embedded_format: yaml}");
  auto fd = CollectOnce(*f->collector);
  REQUIRE(fd.ok());
  CHECK(fd->warnings().empty());
  CHECK(DumpJson(ToJson(*fd, fd->find(fd->find(fd->root(), "data"), "other"))) == R"({"k":"v"})");

  dir.write("stage/secret.yml", "data: {password: aHVudGVyMg==, user: YWRtaW4=}\n");
  auto s = Build(dir, "{type: file, path: \"{env}/secret.yml\", decode: base64}");
  auto sd = CollectOnce(*s->collector);
  REQUIRE(sd.ok());
  CHECK(s->collector->redact_all());
  CHECK(DumpJson(ToJson(*sd, sd->root())) == R"({"data":{"password":"hunter2","user":"admin"}})");

  dir.write("stage/flags.csv", "name,everyone\nnew_ui,1\n");
  auto c = Build(dir, "{type: file, path: \"{env}/flags.csv\", key: name}");
  auto cd = CollectOnce(*c->collector);
  REQUIRE(cd.ok());
  CHECK(DumpJson(ToJson(*cd, cd->root())) == R"({"new_ui":{"everyone":"1"}})");
  auto wrong = Build(dir, "{type: file, path: \"{env}/secret.yml\", key: name}");
  CHECK(CollectOnce(*wrong->collector).error().message ==
        "key: applies to csv and tsv (and sql) sources; this one reads yaml");
}

TEST_CASE("file: input the caller already holds is not parsed again") {
  TempDir dir;
  dir.write("stage.yml", "a: 1\n");
  auto b = Build(dir, "{type: file, path: \"{env}.yml\"}");
  REQUIRE(b->collector);
  auto plain = CollectOnce(*b->collector);  // drift check: no digests
  REQUIRE(plain.ok());
  CHECK(plain->raw_digest().empty());

  auto first = CollectOnce(*b->collector, {""});
  REQUIRE(first.ok());
  CHECK_FALSE(first->unchanged());
  CHECK(first->raw_digest().size() > 64);
  CHECK(DumpJson(ToJson(*first, first->root())) == R"({"a":1})");

  CollectRequest held{first->raw_digest()};
  auto same = CollectOnce(*b->collector, held);
  REQUIRE(same.ok());
  CHECK(same->unchanged());
  CHECK(same->raw_digest() == first->raw_digest());

  dir.write("stage.yml", "a: 2\n");  // changed bytes are parsed
  auto changed = CollectOnce(*b->collector, held);
  REQUIRE(changed.ok());
  CHECK_FALSE(changed->unchanged());
  CHECK(changed->raw_digest() != first->raw_digest());
  CHECK(DumpJson(ToJson(*changed, changed->root())) == R"({"a":2})");
  dir.write("stage.yml", "a: [\n");  // and broken ones are errors, whatever was known
  CHECK_FALSE(CollectOnce(*b->collector, held).ok());
}

TEST_CASE("file: errors are errors of the source, with a clear cause") {
  TempDir dir;
  auto missing = Build(dir, "{type: file, path: \"{env}.yml\"}");
  auto r = CollectOnce(*missing->collector);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().ToString() == "cannot read " + dir.file("stage.yml") +
                                    ": No such file or directory");

  std::filesystem::create_directories(dir.file("stage.d"));
  auto is_dir = Build(dir, "{type: file, path: \"{env}.d\"}");
  CHECK(CollectOnce(*is_dir->collector).error().message ==
        "cannot read " + dir.file("stage.d") + ": is a directory");

  dir.write("big.yml", std::string(2048, '#'));
  auto big = Build(dir, "{type: file, path: big.yml, max_size: 1024}");
  CHECK(CollectOnce(*big->collector).error().message ==
        dir.file("big.yml") + " is 2048 bytes, over the 1024 bytes limit (max_size)");

  dir.write("bad.json", "{\"a\": [1,\n 2,, 3]}");
  auto bad = Build(dir, "{type: file, path: bad.json}");
  auto e = CollectOnce(*bad->collector).error();
  CHECK(e.where.file == dir.file("bad.json"));
  CHECK(e.where.line == 2);

  dir.write("stage/x.yml", "a: 1\n");
  auto ex = Build(dir, "{type: file, path: \"{env}/x.yml\", extract: a.nope}");
  CHECK(CollectOnce(*ex->collector).error().message == "extract path 'a.nope' is not in the document");

  auto secret = Build(dir, "{type: file, path: \"${env:DRIFT_TEST_NOT_SET}\"}");
  CHECK(CollectOnce(*secret->collector).error().message ==
        "environment variable DRIFT_TEST_NOT_SET is not set");
}

TEST_CASE("file: the factory validates its own section") {
  TempDir dir;
  auto b = Build(dir, "{type: file, pth: x, max_size: big}");
  auto errs = b->diags.Sorted();
  REQUIRE(errs.size() == 3);
  CHECK(errs[0].message == "a file source needs a path");  // at the source's map
  CHECK(errs[1].message == "unknown key 'pth' in file source 's' (did you mean 'path'?)");
  CHECK(errs[2].message == "max_size (bytes) must be an integer");
  CHECK(b->collector == nullptr);
}

}  // namespace
}  // namespace drift

namespace drift {
namespace {

// Embedded YAML files may hold alias bombs: each parse is bounded, and so is what the
// snapshot's embedded documents expand to once copied.
TEST_CASE("file: embedded documents that expand past the snapshot's bound stay strings") {
  testing::TempDir dir;
  std::string bomb = "l1: &l1 [x, x, x, x, x, x, x, x, x, x]\\n"
                     "l2: &l2 [*l1, *l1, *l1, *l1, *l1, *l1, *l1, *l1, *l1, *l1]\\n"
                     "l3: &l3 [*l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2]\\n"
                     "l4: &l4 [*l3, *l3, *l3, *l3, *l3, *l3, *l3, *l3, *l3, *l3]\\n"
                     "l5: &l5 [*l4, *l4, *l4, *l4, *l4, *l4, *l4, *l4, *l4, *l4]\\n"
                     "l6: [*l5, *l5, *l5, *l5]\\n";
  std::string data;
  for (int i = 0; i < 8; ++i) data += std::string(i ? "," : "") + "\"f" + std::to_string(i) + ".yml\": \"" + bomb + "\"";
  dir.write("envs/stage/cm.json", "{\"data\": {" + data + "}}");
  auto b = testing::BuildCollector(dir, "{type: file, path: \"envs/{env}/cm.json\", embedded: [\"s.data.*\"]}");
  auto doc = b->Collect();
  REQUIRE(doc.ok());
  auto j = nlohmann::json::parse(testing::AsJson(*doc));
  CHECK(j["data"]["f0.yml"]["l6"].size() == 4);  // the first ones are read (~511k nodes each)
  CHECK(j["data"]["f6.yml"]["l6"].size() == 4);
  CHECK(j["data"]["f7.yml"].is_string());        // past 4,000,000 nodes: a string
  REQUIRE_FALSE(doc->warnings().empty());
  CHECK(doc->warnings().back() ==
        "embedded s.data[\"f7.yml\"]: the snapshot's embedded documents expand to over 4000000 nodes "
        "(YAML aliases); compared as a string");
}

TEST_CASE("file: a settled file the daemon holds costs a stat, and any write is still seen") {
  TempDir dir;
  std::string path = dir.write("stage/app.yml", "a: 1\n");
  auto b = Build(dir, "{type: file, path: \"{env}/app.yml\"}");
  REQUIRE(b->collector);
  // Read once: its signature is pending, not trusted yet.
  auto fresh = CollectOnce(*b->collector, CollectRequest{""});
  REQUIRE(fresh.ok());
  CHECK(fresh->raw_digest().starts_with("pending:"));
  auto same = CollectOnce(*b->collector, CollectRequest{fresh->raw_digest()});
  REQUIRE(same.ok());
  CHECK(same->unchanged());
  CHECK(same->raw_digest() == fresh->raw_digest());  // still settling: read, not confirmed
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  // The same signature and bytes 2 s later: confirmed.
  auto settled = CollectOnce(*b->collector, CollectRequest{fresh->raw_digest()});
  REQUIRE(settled.ok());
  CHECK(settled->unchanged());
  std::string held = settled->raw_digest();
  CHECK(held.starts_with("stat:"));
  CHECK(held.substr(held.find('|')) == fresh->raw_digest().substr(fresh->raw_digest().find('|')));
  auto stat_only = CollectOnce(*b->collector, CollectRequest{held});
  REQUIRE(stat_only.ok());
  CHECK(stat_only->unchanged());
  CHECK(stat_only->raw_digest() == held);
  // The same size and the old mtime put back: the change time still tells.
  struct stat before;
  REQUIRE(::stat(path.c_str(), &before) == 0);
  dir.write("stage/app.yml", "a: 2\n");
  timespec times[2] = {before.st_atim, before.st_mtim};
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
  auto changed = CollectOnce(*b->collector, CollectRequest{held});
  REQUIRE(changed.ok());
  CHECK_FALSE(changed->unchanged());
  CHECK(DumpJson(ToJson(*changed, changed->root())) == R"({"a":2})");
  CHECK(changed->raw_digest().starts_with("pending:"));
  // A symlink switched to another file (a release flip): another inode, read again.
  dir.write("stage/other.yml", "a: 3\n");
  std::string link = dir.file("stage/cur.yml");
  REQUIRE(::symlink(dir.file("stage/other.yml").c_str(), link.c_str()) == 0);
  auto lb = Build(dir, "{type: file, path: \"{env}/cur.yml\"}");
  auto via_link = CollectOnce(*lb->collector, CollectRequest{held});
  REQUIRE(via_link.ok());
  CHECK(DumpJson(ToJson(*via_link, via_link->root())) == R"({"a":3})");
  // drift check holds nothing: no signature at all.
  auto check = CollectOnce(*b->collector);
  REQUIRE(check.ok());
  CHECK(check->raw_digest().empty());
}

}  // namespace
}  // namespace drift
