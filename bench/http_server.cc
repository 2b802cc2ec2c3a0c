// A local HTTP server for the collection benchmark: every GET answers a small JSON document
// after a fixed latency. Usage: drift_bench_http_server LATENCY_MS  (prints its port)
#include <iostream>

#include "tests/support/http_server.h"

int main(int argc, char** argv) {
  int latency = argc > 1 ? std::atoi(argv[1]) : 20;
  drift::testing::TestHttpServer server([latency](const drift::testing::HttpCall& c) {
    return drift::testing::HttpReply(
        200, "{\"path\": \"" + c.target + "\", \"replicas\": 3, \"features\": {\"a\": true}}",
        "application/json", {}, latency);
  });
  std::cout << server.port() << std::endl;
  std::string line;
  std::getline(std::cin, line);  // runs until stdin closes
  return 0;
}
