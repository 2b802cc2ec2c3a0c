// daemon/store_writer: snapshots queued from many threads are all written, in batches.
#include "daemon/store_writer.h"

#include <thread>

#include "tests/testing.h"

namespace drift {
namespace {

SnapshotRecord Snap(int t, int i, int version) {
  return SnapshotRecord{"svc" + std::to_string(t), "config", "env" + std::to_string(i),
                        "h" + std::to_string(version), "{\"v\":" + std::to_string(version) + "}",
                        "2026-11-30T12:00:0" + std::to_string(version) + "Z"};
}

TEST_CASE("store writer: queued snapshots from many threads are written, the last one wins") {
  testing::TempDir dir;
  std::string path = dir.file("state.db");
  {
    auto store = Store::Open(path);
    REQUIRE(store.ok());
    StoreWriter writer(std::move(*store));
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t)
      threads.emplace_back([&writer, t] {
        for (int version = 0; version < 2; ++version)
          for (int i = 0; i < 200; ++i) writer.RecordSnapshot(Snap(t, i, version));  // > the queue
      });
    for (auto& th : threads) th.join();
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

}  // namespace
}  // namespace drift
