#include "daemon/http_server.h"

#include <zlib.h>

#include "tests/testing.h"

namespace drift {
namespace {

TEST_CASE("AcceptsGzip reads Accept-Encoding as HTTP means it") {
  CHECK(AcceptsGzip("gzip"));
  CHECK(AcceptsGzip("deflate, gzip;q=1.0, *;q=0.5"));
  CHECK(AcceptsGzip("br, x-gzip"));
  CHECK(AcceptsGzip("gzip; q=0.001"));
  CHECK_FALSE(AcceptsGzip(""));
  CHECK_FALSE(AcceptsGzip("br, deflate"));
  CHECK_FALSE(AcceptsGzip("gzip;q=0"));
  CHECK_FALSE(AcceptsGzip("gzip;q=0.000, identity"));
  CHECK_FALSE(AcceptsGzip("gzipped"));
}

TEST_CASE("Gzip output inflates back to the input") {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "{\"path\": \"config.k" + std::to_string(i) + "\"}\n";
  auto z = Gzip(text, 6);
  REQUIRE(z.ok());
  CHECK(z->size() * 5 < text.size());
  CHECK(static_cast<unsigned char>((*z)[0]) == 0x1f);  // gzip magic
  CHECK(static_cast<unsigned char>((*z)[1]) == 0x8b);
  z_stream s{};
  REQUIRE(inflateInit2(&s, 15 + 16) == Z_OK);
  std::string out(text.size() + 16, '\0');
  s.next_in = reinterpret_cast<Bytef*>(z->data());
  s.avail_in = static_cast<uInt>(z->size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  CHECK(inflate(&s, Z_FINISH) == Z_STREAM_END);
  out.resize(s.total_out);
  inflateEnd(&s);
  CHECK(out == text);
}

}  // namespace
}  // namespace drift
