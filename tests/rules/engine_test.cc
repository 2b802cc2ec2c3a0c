#include "rules/engine.h"

#include "outputs/sink.h"

#include "tests/rules/rules_testing.h"

namespace drift {
namespace {

using testing::RulesFixture;
using testing::V;

TEST_CASE("equal (default): deepest paths, missing/extra subtrees once, type changes") {
  RulesFixture fx("  []\n");
  auto got = fx.Brief({"a: {b: 1, c: [1, 2]}\nm: {x: 1, y: 2}\nt: true\nn: 5\n",
                       "a: {b: 2, c: [1]}\nt: \"true\"\nn: 5.0\nextra: {deep: {er: 1}}\n",
                       "a: {b: 1, c: [1, 2, 3]}\nm: {x: 1, y: 2}\nt: true\nn: 6\nm2: []\n"});
  CHECK(got == V{"s.a.b stage changed default warning",
                 "s.a.c[1] stage missing default warning",
                 "s.a.c[2] sandbox extra default warning",
                 "s.extra stage extra default warning",
                 "s.m stage missing default warning",
                 "s.m2 sandbox extra default warning",
                 "s.n sandbox changed default warning",
                 "s.t stage type default warning"});
}

TEST_CASE("values, owner, ids and positions of findings") {
  RulesFixture fx("  []\n");
  auto f = fx.Eval({"a: {b: 1}\n", "a:\n  b: 2\n", std::nullopt});
  REQUIRE(f.size() == 1);
  CHECK(f[0].service == "svc");
  CHECK(f[0].source == "s");
  CHECK(f[0].owner == "team-a");
  CHECK(*f[0].baseline_value == 1);
  CHECK(*f[0].value == 2);
  CHECK_FALSE(f[0].redacted);
  CHECK(f[0].file == "stage.yml");
  CHECK(f[0].line == 2);
  CHECK(f[0].column == 6);
  CHECK(f[0].id == FindingId("svc", "s", "s.a.b", "stage", "default"));
  CHECK(f[0].id.size() == 16);
  // sha256("svc\x1fs\x1fs.a.b\x1fstage\x1f" "default")[:16], computed independently.
  CHECK(FindingId("lms", "settings", "settings.FEATURES.ENABLE_DISCUSSIONS", "stage", "default") ==
        "d2be90ad4dc7464a");
}

TEST_CASE("a source not collected in an env is unknown, never drift") {
  RulesFixture fx("  []\n");
  CHECK(fx.Brief({"a: 1\n", std::nullopt, "a: 2\n"}) == V{"s.a sandbox changed default warning"});
  // Without the baseline nothing can be compared with it.
  CHECK(fx.Brief({std::nullopt, "a: 1\n", "a: 2\n"}).empty());
}

TEST_CASE("the first rule in file order decides a node and its subtree") {
  RulesFixture fx(R"(  - name: first
    match: "s.a.**"
    severity: critical
  - name: second
    match: "s.a.b"
    severity: info
  - ignore: "s.skip"
)");
  CHECK(fx.Brief({"a: {b: 1, c: 1}\nskip: {x: 1}\n", "a: {b: 2, c: 2}\nskip: {x: 2}\n",
                  std::nullopt}) ==
        V{"s.a.b stage changed first critical", "s.a.c stage changed first critical"});
}

// SPEC §4 composition, principle 1: an ignore wins wherever it stands, even below a node
// that a list_key rule restructured, and beside rules that judge the same subtree.
TEST_CASE("composition: ignores always win, also on keyed list items and after other rules") {
  std::string prod =
      "containers:\n- {name: lms, image: 'lms:v2.14.3', resources: {cpu: 1}}\n"
      "- {name: worker, image: 'w:1', resources: {cpu: 2}}\n";
  std::string stage =
      "containers:\n- {name: worker, image: 'w:1', resources: {cpu: 4}}\n"
      "- {name: lms, image: 'lms:v2.17.1', resources: {cpu: 8}}\n";
  RulesFixture fx(R"(  - name: containers
    match: "s.containers"
    normalize: [{list_key: name}]
  - ignore: "s.containers[name=lms].resources"
  - name: release-skew
    match: "s.containers[name=lms].image"
    expect: {semver_skew: {max_minor: 1}}
    severity: critical
)");
  CHECK(fx.Brief({prod, stage, std::nullopt}) ==
        V{"s.containers[name=lms].image stage skew release-skew critical",
          "s.containers[name=worker].resources.cpu stage changed containers warning"});
  // The ignore written first, the rule restructuring the list after it: the same.
  RulesFixture first(R"(  - ignore: "s.containers[name=lms].resources"
  - name: containers
    match: "s.containers"
    normalize: [{list_key: name}]
)");
  CHECK(first.Brief({prod, stage, std::nullopt}) ==
        V{"s.containers[name=lms].image stage changed containers warning",
          "s.containers[name=worker].resources.cpu stage changed containers warning"});
  // An ignore inside a subtree that a whole-value rule judges.
  RulesFixture whole(R"(  - name: creds-differ
    match: "s.creds"
    expect: differ
  - ignore: "s.creds"
    envs: [sandbox]
)");
  CHECK(whole.Brief({"creds: {u: a}\n", "creds: {u: a}\n", "creds: {u: a}\n"}) ==
        V{"s.creds stage same creds-differ warning with=prod"});
}

// Principle 2: the rule applying to a node judges it; descendants no rule applies to inherit
// it; whole-value rules judge their node only.
TEST_CASE("composition: the most specific rule judges, descendants inherit leaf-by-leaf rules") {
  RulesFixture fx(R"(  - name: outer
    match: "s.a"
    severity: critical
  - name: inner
    match: "s.a.b"
    severity: info
  - name: deeper-than-default
    match: "s.z.*.k"
    expect: {one_of: [x, y]}
)");
  CHECK(fx.Brief({"a: {b: 1, c: {d: 1}}\nz: {p: {k: x, o: 1}}\n",
                  "a: {b: 2, c: {d: 2}}\nz: {p: {k: q, o: 2}}\n", std::nullopt}) ==
        V{"s.a.b stage changed inner info", "s.a.c.d stage changed outer critical",
          "s.z.p.k stage pattern deeper-than-default warning",
          "s.z.p.o stage changed default warning"});
  // differ judges the map as a whole; below it only a rule of its own judges (here `user`
  // must be equal), never the default on differ's behalf.
  RulesFixture whole(R"(  - name: db-differs
    match: "s.db"
    expect: differ
    severity: critical
  - name: same-user
    match: "s.db.user"
    severity: info
)");
  CHECK(whole.Brief({"db: {user: app, host: h1}\n", "db: {user: app2, host: h2}\n",
                     "db: {user: app, host: h1}\n"}) ==
        V{"s.db sandbox same db-differs critical with=prod", "s.db.user stage changed same-user info"});
  // A rule re-applying below its own node (a ** selector) judges once, at the top.
  RulesFixture twice(R"(  - name: flags-differ
    match: "s.flags.**"
    expect: differ
)");
  CHECK(twice.Brief({"flags: {a: 1}\n", "flags: {a: 1}\n", std::nullopt}) ==
        V{"s.flags stage same flags-differ warning with=prod"});
}

// Principle 3: normalizers accumulate, outermost first; redact: true holds below too.
TEST_CASE("composition: normalizers and redaction accumulate from the outermost rule in") {
  // (`lower` applies to every node; written first it would judge them all.)
  RulesFixture fx(R"(  - name: tidy
    match: "s.hosts.*"
    normalize: [trim, {replace: {pattern: "^abc", with: "x"}}]
  - name: secret-section
    match: "s.vault"
    redact: true
  - name: vault-item
    match: "s.vault.item"
    severity: critical
  - name: lower
    match: "s.**"
    normalize: [lowercase]
)");
  // " ABC-1 " -> lowercase (outer) -> trim -> replace: "x-1" both sides; replace alone
  // ("^abc" on "ABC-1") would not match before lowercase.
  auto f = fx.Eval({"hosts: {h: abc-1}\nvault: {item: s3cret}\n",
                    "hosts: {h: \" ABC-1 \"}\nvault: {item: other}\n", std::nullopt});
  REQUIRE(f.size() == 1);
  CHECK(f[0].path == "s.vault.item");
  CHECK(f[0].rule == "vault-item");
  CHECK(f[0].redacted);
  CHECK(f[0].value->get<std::string>().starts_with("hmac:"));
  CHECK(f[0].baseline_value->get<std::string>().starts_with("hmac:"));
}

// Composition where the envs' shapes differ: a subtree one side lacks is one finding at its
// root, unless a rule or an ignore reaches inside it.
TEST_CASE("composition: rules and ignores reach inside subtrees one side lacks") {
  RulesFixture fx(R"(  - name: levels
    match: "s.LOG_LEVELS.*"
    expect: {one_of: [INFO, WARN]}
  - ignore: "s.cache.LOCATION"
  - name: no-debug
    match: "s.FLAGS.debug"
    expect: absent
    severity: critical
)");
  // prod has none of it; stage has all of it.
  CHECK(fx.Brief({"x: 1\n",
                  "x: 1\nLOG_LEVELS: {app: INFO, db: BOGUS}\ncache: {LOCATION: here, SIZE: 1}\n"
                  "FLAGS: {debug: true, other: 1}\nplain: {a: 1, b: 2}\n",
                  std::nullopt}) ==
        V{"s.FLAGS.debug stage extra no-debug critical", "s.FLAGS.other stage extra default warning",
          "s.LOG_LEVELS.db stage pattern levels warning",
          "s.cache.SIZE stage extra default warning",
          "s.plain stage extra default warning"});  // nothing reaches inside: one finding
  // The other way round: missing in stage, the ignored part is not reported missing.
  CHECK(fx.Brief({"cache: {LOCATION: here, SIZE: 1}\nplain: {a: 1}\n", "x: 1\n", std::nullopt}) ==
        V{"s.cache.SIZE stage missing default warning", "s.plain stage missing default warning",
          "s.x stage extra default warning"});
  // one_of on a map only one env has: its leaves are judged, the map is not a "value".
  RulesFixture whole(R"(  - name: levels
    match: "s.LOG_LEVELS"
    expect: {one_of: [INFO, WARN]}
)");
  CHECK(whole.Brief({"x: 1\n", "x: 1\nLOG_LEVELS: {app: INFO, db: WARN}\n", std::nullopt}).empty());
}

// A whole-value judgement leaves out what an ignore skips below it.
TEST_CASE("composition: differ on a map ignores the ignored parts of it") {
  RulesFixture fx(R"(  - name: caches-differ
    match: "s.CACHES"
    expect: differ
  - ignore: "s.CACHES.default.LOCATION"
)");
  // Only LOCATION differs: once it is left out, the maps are the same.
  auto f = fx.Eval({"CACHES: {default: {BACKEND: redis, LOCATION: a}}\n",
                    "CACHES: {default: {BACKEND: redis, LOCATION: b}}\n", std::nullopt});
  REQUIRE(f.size() == 1);
  CHECK(f[0].path == "s.CACHES");
  CHECK(f[0].kind == FindingKind::kSame);
  CHECK(f[0].value->dump() == R"({"default":{"BACKEND":"redis"}})");  // no LOCATION shown
  CHECK(f[0].line == 1);
}

// Secrets: a redact: true rule redacts even when another rule judges the node, a keyed item
// named like a secret is redacted, and a message never quotes a partly redacted value.
TEST_CASE("composition: redaction holds whatever rule judges") {
  RulesFixture fx(R"(  - name: all-settings
    match: "s.*_DSN"
    normalize: [trim]
  - name: dsn
    match: "s.SENTRY_DSN"
    redact: true
  - name: env-by-name
    match: "s.env"
    normalize: [{list_key: name}]
  - name: broker
    match: "s.BROKER_URL"
    expect: {semver_skew: {max_minor: 1}}
)");
  auto f = fx.Eval({"SENTRY_DSN: https://k1@sentry.io/1\nenv: [{name: DB_PASSWORD, value: hunter2}]\n"
                    "BROKER_URL: \"amqp://lms:7.2.1@mq/\"\n",
                    "SENTRY_DSN: https://k2@sentry.io/1\nenv: [{name: DB_PASSWORD, value: hunter3}]\n"
                    "BROKER_URL: \"amqp://lms:7.5.0@mq/\"\n",
                    std::nullopt});
  REQUIRE(f.size() == 3);
  std::string all;
  for (const auto& x : f) {
    all += x.path + " " + (x.value ? x.value->dump() : "") + " " +
           (x.baseline_value ? x.baseline_value->dump() : "") + " " + x.message + "\n";
    CHECK(x.redacted);
  }
  for (auto secret : {"k1", "k2", "hunter", "7.2.1", "7.5.0"})
    CHECK_MESSAGE(all.find(secret) == std::string::npos, all);
  CHECK(f[0].path == "s.BROKER_URL");
  CHECK(f[0].message.empty());
  CHECK(f[1].path == "s.SENTRY_DSN");
  CHECK(f[1].rule == "all-settings");
  CHECK(f[2].path == "s.env[name=DB_PASSWORD].value");
}

TEST_CASE("envs: and services: scope a rule") {
  RulesFixture fx(R"(  - name: stage-only
    match: "s.x"
    envs: [stage]
    severity: critical
  - name: other-service
    match: "s.y"
    services: [svc]
    severity: info
)",
                  "[prod, stage, sandbox]",
                  "  other:\n    sources:\n      s: {type: file, path: z.yml}\n");
  CHECK(fx.Brief({"x: 1\ny: 1\n", "x: 2\ny: 2\n", "x: 3\ny: 3\n"}) ==
        V{"s.x stage changed stage-only critical", "s.x sandbox changed default warning",
          "s.y stage changed other-service info", "s.y sandbox changed other-service info"});
}

TEST_CASE("differ: one finding per equal pair, env is the later one") {
  RulesFixture fx(R"(  - name: secrets-never-shared
    match: "*.**.SECRET_KEY"
    expect: differ
    severity: critical
)");
  auto f = fx.Eval({"SECRET_KEY: p1\n", "SECRET_KEY: shared\n", "SECRET_KEY: shared\n"});
  REQUIRE(f.size() == 1);
  CHECK(f[0].path == "s.SECRET_KEY");
  CHECK(f[0].env == "sandbox");
  CHECK(f[0].with_env == "stage");
  CHECK(f[0].kind == FindingKind::kSame);
  CHECK(f[0].redacted);
  // Both values are the same fingerprint; the secret itself is nowhere.
  CHECK(f[0].value->get<std::string>().starts_with("hmac:"));
  CHECK(*f[0].value == *f[0].baseline_value);
  CHECK(f[0].value->get<std::string>().size() == 17);
  CHECK(fx.Brief({"SECRET_KEY: a\n", "SECRET_KEY: a\n", "SECRET_KEY: a\n"}) ==
        V{"s.SECRET_KEY stage same secrets-never-shared critical with=prod",
          "s.SECRET_KEY sandbox same secrets-never-shared critical with=prod",
          "s.SECRET_KEY sandbox same secrets-never-shared critical with=stage"});
}

TEST_CASE("present and absent, a literal present path is checked even when in no env") {
  RulesFixture fx(R"(  - name: must-have
    match: "s.needed"
    expect: present
  - name: must-have-deep
    match: "s.nowhere.at.all"
    expect: present
    severity: critical
  - name: never
    match: "s.debug_*"
    expect: absent
)");
  CHECK(fx.Brief({"needed: 1\n", "other: 1\n", "needed: 1\ndebug_x: 1\n"}) ==
        V{"s.debug_x sandbox extra never warning", "s.needed stage missing must-have warning",
          "s.nowhere.at.all prod missing must-have-deep critical",
          "s.nowhere.at.all stage missing must-have-deep critical",
          "s.nowhere.at.all sandbox missing must-have-deep critical",
          "s.other stage extra default warning"});
}

TEST_CASE("matches with {env}, and one_of") {
  RulesFixture fx(R"(  - name: host-names-env
    match: "s.host"
    expect: {matches: "db-{env}\\.internal"}
  - name: level
    match: "s.level"
    expect: {one_of: [INFO, WARNING, 3]}
)");
  CHECK(fx.Brief({"host: db-prod.internal\nlevel: INFO\n", "host: db-prod.internal\nlevel: 3\n",
                  "host: db-sandbox.internal.x\nlevel: {a: 1}\n"}) ==
        V{"s.host stage pattern host-names-env warning", "s.host sandbox pattern host-names-env warning",
          "s.level.a sandbox pattern level warning"});  // one_of judges leaf by leaf
}

TEST_CASE("within: percent and absolute, numeric strings, non-numbers are a type finding") {
  RulesFixture fx(R"(  - name: pct
    match: "s.p"
    expect: {within: 10%}
  - name: abs
    match: "s.a"
    expect: {within: 5}
)");
  CHECK(fx.Brief({"p: 100\na: 10\n", "p: \"109.5\"\na: 15\n", "p: 111\na: many\n"}) ==
        V{"s.a sandbox type abs warning", "s.p sandbox changed pct warning"});
}

TEST_CASE("semver_skew: versions inside strings, v prefixes, build suffixes, both directions") {
  RulesFixture fx(R"(  - name: skew
    match: "s.*.image"
    expect: {semver_skew: {max_minor: 1}}
)");
  CHECK(fx.Brief({"a: {image: \"reg/lms:v2.14.3\"}\nb: {image: \"nginx:1.25.3-alpine\"}\n"
                  "c: {image: \"x:1.0.0\"}\n",
                  "a: {image: \"reg/lms:v2.15.9+build.7\"}\nb: {image: \"nginx:1.23.0\"}\n"
                  "c: {image: \"x:2.0.0\"}\n",
                  "a: {image: \"reg/lms:2.13.0\"}\nb: {image: \"nginx:latest\"}\n"
                  "c: {image: \"x:1.0.99\"}\n"}) ==
        V{"s.b.image stage skew skew warning", "s.b.image sandbox changed skew warning",
          "s.c.image stage skew skew warning"});
}

TEST_CASE("semver_skew: pattern picks the version, messages name both versions and the limit") {
  RulesFixture fx(R"(  - name: skew
    match: "s.tag"
    expect: {semver_skew: {max_minor: 1, pattern: '-v(\d+\.\d+\.\d+)$'}}
  - name: plain
    match: "s.image"
    expect: {semver_skew: {max_patch: 2}}
)");
  auto f = fx.Eval({"tag: nightly-20240201.1-v2.3.0\nimage: lms:v2.14.3\n",
                    "tag: nightly-20250101.9-v2.4.5\nimage: lms:v2.14.9\n",
                    "tag: nightly-20240201.1-v2.6.0\nimage: lms:latest\n"});
  std::vector<std::string> got;
  for (const auto& x : f) got.push_back(x.path + " " + x.env + " " + std::string(FindingKindName(x.kind)) + ": " + x.message);
  // stage's date moved a year but its version only one minor: no finding for the tag.
  CHECK(got == V{"s.image stage skew: version 2.14.9 vs prod's 2.14.3: patch 6 apart, max_patch is 2",
                 "s.image sandbox changed: no version in this value, so the values must be equal",
                 "s.tag sandbox skew: version 2.6.0 vs prod's 2.3.0: minor 3 apart, max_minor is 1"});
}

TEST_CASE("normalizers: env_tokens with aliases, whole tokens only") {
  RulesFixture fx(R"(  - name: hosts
    match: "s.**.*_URL"
    normalize: [env_tokens]
)",
                  "[prod, {name: stage, aliases: [stg, staging]}, sandbox]");
  CHECK(fx.Brief({"A_URL: https://lms.prod.example.org\nB_URL: https://Products.prod.io\n"
                  "C_URL: https://x.prod.io\nD_URL: https://x.prod.io\n",
                  "A_URL: https://lms.STG.example.org\nB_URL: https://Products.staging.io\n"
                  "C_URL: https://x.prod.io\nD_URL: https://x.stageprod.io\n",
                  "A_URL: https://lms.sandbox.example.org\nB_URL: https://{env}ucts.sandbox.io\n"
                  "C_URL: https://x.sandbox.io\nD_URL: https://x.sandbox.io\n"}) ==
        V{"s.B_URL sandbox changed hosts warning", "s.C_URL stage changed hosts warning",
          "s.D_URL stage changed hosts warning"});
  // Findings show raw values.
  auto f = fx.Eval({"C_URL: https://x.prod.io\n", "C_URL: https://x.prod.io\n", std::nullopt});
  REQUIRE(f.size() == 1);
  CHECK(*f[0].value == "https://x.prod.io");
}

// SPEC §4 env_vars: each env's own vars' values become {NAME}; a value of another env's
// stays, and is reported (stage pointing at prod).
TEST_CASE("normalizers: env_vars for hostnames and account ids that do not name the env") {
  RulesFixture fx(R"(  - name: hosts-follow-env
    match: "s.**.{*_URL,*_HOST,ROLE_ARN}"
    normalize: [env_vars]
)",
                  "[{name: prod, vars: {domain: example.org, account: \"111111111111\"}}, "
                  "{name: stage, vars: {domain: stage.example.org, account: \"222222222222\"}}, "
                  "{name: sandbox, vars: {domain: sandbox.example.org, account: \"333\"}}]");
  std::string prod =
      "LMS_URL: https://courses.example.org\nDISCOVERY_URL: https://discovery.example.org\n"
      "CACHE_HOST: cache.example.org\nROLE_ARN: \"arn:aws:iam::111111111111:role/lms\"\n"
      "OTHER: example.org\n";
  std::string stage =
      "LMS_URL: https://courses.Stage.Example.org\nDISCOVERY_URL: https://discovery.example.org\n"
      "CACHE_HOST: cache.stage.example.org\nROLE_ARN: \"arn:aws:iam::222222222222:role/lms\"\n"
      "OTHER: stage.example.org\n";
  std::string sandbox =
      "LMS_URL: https://courses.sandbox.example.org\n"
      "DISCOVERY_URL: https://discovery.sandbox.example.org\n"
      "CACHE_HOST: mycache.sandbox.example.org\nROLE_ARN: \"arn:aws:iam::111111111111:role/lms\"\n"
      "OTHER: example.org\n";
  CHECK(fx.Brief({prod, stage, sandbox}) ==
        V{"s.CACHE_HOST sandbox changed hosts-follow-env warning",
          "s.DISCOVERY_URL stage changed hosts-follow-env warning",
          "s.OTHER stage changed default warning",
          "s.ROLE_ARN sandbox changed hosts-follow-env warning"});
}

// SPEC §3: {a,b} alternatives within one key.
TEST_CASE("selectors: {a,b} alternatives within a key, with globs") {
  RulesFixture fx(R"(  - name: debug-flags
    match: "s.{DEBUG,DJANGO_DEBUG}"
    severity: critical
  - name: endpoints
    match: "s.*_{URL,HOST}"
    severity: info
)");
  CHECK(fx.Brief({"DEBUG: false\nDJANGO_DEBUG: false\nDEBUGGER: 1\nA_URL: a\nB_HOST: b\nC_PORT: 1\n",
                  "DEBUG: true\nDJANGO_DEBUG: true\nDEBUGGER: 2\nA_URL: x\nB_HOST: y\nC_PORT: 2\n",
                  std::nullopt}) ==
        V{"s.A_URL stage changed endpoints info", "s.B_HOST stage changed endpoints info",
          "s.C_PORT stage changed default warning", "s.DEBUG stage changed debug-flags critical",
          "s.DEBUGGER stage changed default warning",
          "s.DJANGO_DEBUG stage changed debug-flags critical"});
  CHECK_FALSE(Selector::Compile("s.{a,b").ok());
  CHECK(Selector::Compile("s.{a,b").error().message ==
        "invalid selector 's.{a,b': '{' without a matching '}' (alternatives are written {a,b} "
        "within one key) at column 3");
  CHECK_FALSE(Selector::Compile("s.a}").ok());
  CHECK_FALSE(Selector::Compile("s.{a.b}").ok());
  CHECK(Selector::Compile("s[\"{a,b}\"]")->literal());  // quoted: a key with braces in it
}

TEST_CASE("normalizers: lowercase, trim, replace, numbers") {
  RulesFixture fx(R"(  - name: n
    match: "s.**"
    normalize: [trim, lowercase, {replace: {pattern: "-v[0-9]+$", with: ""}}, numbers]
)");
  CHECK(fx.Brief({"a: Hello\nb: \"5\"\nc: bucket-v1\nd: x\n",
                  "a: \"  hello \"\nb: 5\nc: bucket-v2\nd: y\n", std::nullopt}) ==
        V{"s.d stage changed n warning"});
}

TEST_CASE("lists by index, sort_lists and list_key") {
  std::string prod = "l: [a, b, c]\nc: [{name: web, image: w:1}, {name: side, image: s:1}]\n";
  std::string stage = "l: [c, a, b]\nc: [{name: side, image: s:2}, {name: web, image: w:1}]\n";
  RulesFixture by_index("  []\n");
  CHECK(by_index.Brief({prod, stage, std::nullopt}) ==
        V{"s.c[0].image stage changed default warning", "s.c[0].name stage changed default warning",
          "s.c[1].image stage changed default warning", "s.c[1].name stage changed default warning",
          "s.l[0] stage changed default warning", "s.l[1] stage changed default warning",
          "s.l[2] stage changed default warning"});
  // Findings list indices in numeric order.
  std::string eleven, changed;
  for (int i = 0; i < 11; ++i) eleven += std::string(i ? ", " : "") + std::to_string(i);
  CHECK(by_index.Brief({"n: [" + eleven + "]\n", "n: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n",
                        "n: [0, 1, 20, 3, 4, 5, 6, 7, 8, 9, 10]\n"}) ==
        V{"s.n[2] sandbox changed default warning", "s.n[10] stage missing default warning"});
  RulesFixture keyed(R"(  - name: sorted
    match: "s.l"
    normalize: [sort_lists]
  - name: containers
    match: "s.c"
    normalize: [{list_key: name}]
)");
  auto f = keyed.Eval({prod, stage + "", std::nullopt});
  REQUIRE(f.size() == 1);
  CHECK(f[0].path == "s.c[name=side].image");
  CHECK(*f[0].baseline_value == "s:1");
  CHECK(*f[0].value == "s:2");
  CHECK(f[0].line == 2);  // the raw item in stage
  // Items missing or added by key are one finding each.
  CHECK(keyed.Brief({prod, "c: [{name: web, image: w:1}, {name: new, image: n:1}]\nl: [a, b, c]\n",
                     std::nullopt}) ==
        V{"s.c[name=new] stage extra containers warning",
          "s.c[name=side] stage missing containers warning"});
}

TEST_CASE("secrets: key names and redact: true give fingerprints, never values") {
  RulesFixture fx(R"(  - name: private
    match: "s.internal.**"
    redact: true
)");
  auto f = fx.Eval({"DB_PASSWORD: hunter2\napi_key: k1\nnested: {token: t1}\ninternal: {x: v1}\n"
                    "creds: {a: 1}\n",
                    "DB_PASSWORD: hunter3\napi_key: k2\nnested: {token: t2}\ninternal: {x: v2}\n",
                    std::nullopt});
  std::string all;
  for (const auto& x : f) all += DumpJson(FindingJson(x));
  for (auto secret : {"hunter2", "hunter3", "k1", "k2", "t1", "t2", "v1", "v2"})
    CHECK_MESSAGE(all.find(secret) == std::string::npos, secret);
  REQUIRE(f.size() == 5);
  for (const auto& x : f)
    if (x.path != "s.creds") CHECK(x.redacted);
  // The same value in two envs has the same fingerprint; a different value differs.
  CHECK(fx.redactor.Fingerprint("same") == fx.redactor.Fingerprint("same"));
  CHECK(fx.redactor.Fingerprint("same") != fx.redactor.Fingerprint("other"));
  CHECK(Redactor("another key").Fingerprint("same") != fx.redactor.Fingerprint("same"));
}

TEST_CASE("three envs where only stage and sandbox share a secret") {
  RulesFixture fx(R"(  - name: never-shared
    match: "*.**.*PASSWORD*"
    expect: differ
    severity: critical
)");
  CHECK(fx.Brief({"DB: {PASSWORD: prod-pw}\n", "DB: {PASSWORD: nonprod}\n",
                  "DB: {PASSWORD: nonprod}\n"}) ==
        V{"s.DB.PASSWORD sandbox same never-shared critical with=stage"});
}

TEST_CASE("waivers stop applying after their expiry date") {
  RulesFixture fx(R"(  - ignore: "s.a"
    reason: known
    ticket: OPS-1
    expires: 2026-11-27
  - ignore: "s.b"
    expires: 2026-11-26
)");
  CHECK(fx.Brief({"a: 1\nb: 1\n", "a: 2\nb: 2\n", std::nullopt}) ==
        V{"s.b stage changed default warning"});
  CHECK(fx.rules->expired_waivers(fx.today) == 1);
  CHECK(fx.diags.Sorted().size() == 1);
  CHECK(fx.diags.Sorted()[0].ToString() ==
        "drift.yaml:14:5: warning: waiver for 's.b' expired on 2026-11-26; its findings are "
        "reported again");
}

TEST_CASE("property: a tree diffed with itself has no findings, A vs B mirrors B vs A") {
  std::string a = "x: {y: [1, 2, {z: q}], w: null}\nonly_a: {deep: 1}\nl: [1, 2, 3]\n";
  std::string b = "x: {y: [1, 3, {z: q}], w: 0}\nonly_b: [1]\nl: [1]\n";
  RulesFixture fx("  []\n", "[a, b]");
  CHECK(fx.Brief({a, a}).empty());
  CHECK(fx.Brief({b, b}).empty());
  auto ab = fx.Eval({a, b});
  auto ba = fx.Eval({b, a});
  REQUIRE(ab.size() == ba.size());
  auto mirror = [](FindingKind k) {
    return k == FindingKind::kMissing ? FindingKind::kExtra
           : k == FindingKind::kExtra ? FindingKind::kMissing
                                      : k;
  };
  for (size_t i = 0; i < ab.size(); ++i) {
    CHECK(ab[i].path == ba[i].path);
    CHECK(ba[i].kind == mirror(ab[i].kind));
    CHECK(ab[i].value == ba[i].baseline_value);
  }
}

}  // namespace
}  // namespace drift

namespace drift {
namespace {

// Big snapshots are walked in parts by several threads; the parts' findings, concatenated,
// must be exactly the one-thread walk's, in the same order, whatever the shape of the tree.
void CheckSplitWalkMatchesSerial(const std::string& rules,
                                 const std::vector<std::optional<std::string>>& docs,
                                 size_t min_findings) {
  testing::RulesFixture serial(rules), split(rules);
  serial.parallelism = {1, 0};
  split.parallelism = {4, 0};  // more threads than this machine may have: parts interleave
  serial.sorted = split.sorted = false;
  auto a = split.Eval(docs);
  auto b = serial.Eval(docs);
  CHECK(b.size() >= min_findings);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(a[i] == b[i]);
}

TEST_CASE("a walk split across threads gives exactly the one-thread walk's findings") {
  std::string rules = R"(  - name: levels
    match: "s.**.level"
    expect: {one_of: [INFO, WARNING]}
  - name: must
    match: "s.svc1.k5"
    expect: present
  - name: absent-literal
    match: "s.nowhere.at.all"
    expect: present
  - name: ports-differ
    match: "s.**.port"
    expect: differ
)";
  auto services = [](int seed, const std::string& indent) {
    std::string y;
    for (int s = 0; s < 90; ++s) {
      if (seed == 1 && s == 40) continue;  // a whole service missing in stage
      y += indent + "svc" + std::to_string(s) + ":\n";
      for (int k = 0; k < 30; ++k) {
        int v = (k * 7 + s) % 13;
        if (seed && (k * 31 + s * 17 + seed) % 23 == 0) v += seed;
        if (seed == 2 && k % 11 == 5) continue;
        y += indent + "  k" + std::to_string(k) + ": " + std::to_string(v) + "\n";
      }
      y += indent + "  port: " + std::to_string(seed == 2 && s % 3 ? 80 : 8000 + s) + "\n";
      y += indent + "  level: " + std::string(seed == 2 && s % 5 == 0 ? "LOUD" : "INFO") + "\n";
      if (seed == 1 && s % 7 == 0) y += indent + "  extra_" + std::to_string(s) + ": {a: 1}\n";
    }
    return y;
  };
  SUBCASE("services at the root") {
    CheckSplitWalkMatchesSerial(rules, {services(0, ""), services(1, ""), services(2, "")}, 200);
  }
  SUBCASE("services below a chain of one-key maps: the split is at the chain's end") {
    auto wrap = [&](int seed) { return "data:\n  all:\n" + services(seed, "    "); };
    CheckSplitWalkMatchesSerial(rules, {wrap(0), wrap(1), wrap(2)}, 200);
  }
  SUBCASE("envs disagree at the root: the split is at the root") {
    auto wrap = [&](int seed) {
      return "data:\n" + services(seed, "  ") + (seed == 1 ? "only_stage: {x: 1}\n" : "");
    };
    CheckSplitWalkMatchesSerial(rules, {wrap(0), wrap(1), wrap(2)}, 200);
  }
  SUBCASE("a list of items at the root, one env missing") {
    auto list = [](int seed) {
      std::string y;
      for (int i = 0; i < 300 - seed * 7; ++i)
        y += "- {name: n" + std::to_string(i) + ", level: " + (i % 17 == seed ? "LOUD" : "INFO") +
             ", port: " + std::to_string(seed == 2 ? 1 : 1000 + i) + "}\n";
      return y;
    };
    CheckSplitWalkMatchesSerial(rules, {list(0), std::nullopt, list(2)}, 40);
  }
  SUBCASE("a rule decides the node above the split: nothing is reported twice") {
    std::string whole = "  - name: data-equal\n    match: s.data\n    expect: equal\n" + rules;
    auto wrap = [&](int seed) { return "data:\n" + services(seed, "  "); };
    CheckSplitWalkMatchesSerial(whole, {wrap(0), wrap(1), wrap(2)}, 100);
  }
  SUBCASE("type change at the root") {
    CheckSplitWalkMatchesSerial(rules, {services(0, ""), std::string("[1, 2, 3]"), services(2, "")},
                                100);
  }
}

}  // namespace
}  // namespace drift
