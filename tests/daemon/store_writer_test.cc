// daemon/store_writer: snapshots queued from many threads are all written, in batches.
#include "daemon/store_writer.h"

#include <sqlite3.h>

#include <thread>

#include "tests/testing.h"

namespace drift {
namespace {

SnapshotRecord Snap(int t, int i, int version) {
  return SnapshotRecord{"svc" + std::to_string(t), "config", "env" + std::to_string(i),
                        "h" + std::to_string(version), "{\"v\":" + std::to_string(version) + "}",
                        "2026-11-30T12:00:0" + std::to_string(version) + "Z"};
}

// Three threads each record `versions` rounds of `count` snapshots (svc<thread>, env0…).
void RecordFromThreads(StoreWriter& writer, int versions, int count) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&writer, t, versions, count] {
      for (int version = 0; version < versions; ++version)
        for (int i = 0; i < count; ++i) writer.RecordSnapshot(Snap(t, i, version));
    });
  for (auto& th : threads) th.join();
}

TEST_CASE("store writer: queued snapshots from many threads are written, the last one wins") {
  testing::TempDir dir;
  std::string path = dir.file("state.db");
  {
    auto store = Store::Open(path);
    REQUIRE(store.ok());
    StoreWriter writer(std::move(*store));
    RecordFromThreads(writer, 2, 200);  // more than the queue holds
    writer.Flush();
    auto reader = Store::Open(path);
    REQUIRE(reader.ok());
    auto latest = (*reader)->LatestSnapshots();
    CHECK(latest.size() == 600);
    for (const auto& s : latest) CHECK(s.hash == "h1");
    CHECK((*reader)->SnapshotHistory("svc2", "config").size() == 400);
    // Queued at destruction: written before it returns.
    writer.RecordSnapshot(Snap(7, 0, 0));
  }
  auto reader = Store::Open(path);
  REQUIRE(reader.ok());
  CHECK((*reader)->SnapshotHistory("svc7", "config").size() == 1);
}

TEST_CASE("store writer: a snapshot the store refuses costs only itself, not its batch") {
  testing::TempDir dir;
  std::string path = dir.file("state.db");
  {
    auto store = Store::Open(path);
    REQUIRE(store.ok());
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db,
                       "CREATE TRIGGER refuse BEFORE INSERT ON snapshots WHEN NEW.service = 'svc1' "
                       "BEGIN SELECT RAISE(ABORT, 'refused'); END",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  {
    auto store = Store::Open(path);
    REQUIRE(store.ok());
    StoreWriter writer(std::move(*store));
    // From several threads, so that the three land in batches of more than one.
    RecordFromThreads(writer, 1, 50);
  }
  auto reader = Store::Open(path);
  REQUIRE(reader.ok());
  CHECK((*reader)->LatestSnapshots().size() == 100);
  CHECK((*reader)->SnapshotHistory("svc0", "config").size() == 50);
  CHECK((*reader)->SnapshotHistory("svc1", "config").empty());
  CHECK((*reader)->SnapshotHistory("svc2", "config").size() == 50);
}

}  // namespace
}  // namespace drift
