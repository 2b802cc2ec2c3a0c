#include "daemon/http_server.h"

#include <zlib.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <thread>

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

// The server on its own io thread, on a free loopback port; counts the requests it handled.
struct Served {
  boost::asio::io_context io;
  std::unique_ptr<HttpServer> server;
  std::atomic<int> handled{0};
  std::thread thread;
  Served() {
    auto s = HttpServer::Start(io, "127.0.0.1:0", [this](const HttpServerRequest& r) {
      ++handled;
      return HttpServerResponse(200, "text/plain", r.method + " " + r.path + " " +
                                                       std::to_string(r.body.size()));
    });
    REQUIRE(s.ok());
    server = std::move(*s);
    thread = std::thread([this] { io.run(); });
  }
  ~Served() {
    boost::asio::post(io, [this] { server->Stop(); });
    thread.join();
  }
  boost::asio::ip::tcp::socket Connect(boost::asio::io_context& client) const {
    boost::asio::ip::tcp::socket sock(client);
    sock.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(server->port())});
    return sock;
  }
};

using Response = boost::beast::http::response<boost::beast::http::string_body>;

Response Exchange(boost::asio::ip::tcp::socket& sock, boost::beast::flat_buffer& buf,
                  const std::string& raw) {
  boost::asio::write(sock, boost::asio::buffer(raw));
  Response res;
  boost::beast::http::read(sock, buf, res);
  return res;
}

TEST_CASE("http server: hundreds of concurrent keep-alive connections") {
  Served s;
  boost::asio::io_context client;
  constexpr int kConnections = 300;
  std::vector<boost::asio::ip::tcp::socket> socks;
  std::vector<boost::beast::flat_buffer> bufs(kConnections);
  for (int i = 0; i < kConnections; ++i) socks.push_back(s.Connect(client));
  // Every connection asks before any answer is read: the server holds them all at once.
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < kConnections; ++i) {
      std::string raw = "GET /c" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
      boost::asio::write(socks[i], boost::asio::buffer(raw));
    }
    int ok = 0;
    for (int i = 0; i < kConnections; ++i) {
      Response res;
      boost::beast::http::read(socks[i], bufs[i], res);
      ok += res.result_int() == 200 && res.body() == "GET /c" + std::to_string(i) + " 0" &&
            res.keep_alive();
    }
    CHECK(ok == kConnections);
  }
  CHECK(s.handled == 2 * kConnections);  // the second round reused the same connections
}

TEST_CASE("http server: body and header limits, and requests that are not HTTP") {
  Served s;
  boost::asio::io_context client;
  boost::beast::flat_buffer buf;
  {
    auto sock = s.Connect(client);
    auto res = Exchange(sock, buf, "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
    CHECK(res.result_int() == 200);
    CHECK(res.body() == "POST /p 5");
  }
  {
    auto sock = s.Connect(client);  // over 1 MiB of body: refused from the header alone
    auto res = Exchange(sock, buf, "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n");
    CHECK(res.result_int() == 413);
    CHECK_FALSE(res.keep_alive());
  }
  {
    auto sock = s.Connect(client);  // over 16 KiB of headers
    auto res = Exchange(sock, buf, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') +
                                       "\r\n\r\n");
    CHECK(res.result_int() == 431);
  }
  {
    auto sock = s.Connect(client);
    auto res = Exchange(sock, buf, "HELLO\x01 there\r\n\r\n");
    CHECK(res.result_int() == 400);
  }
  CHECK(s.handled == 1);
}

}  // namespace
}  // namespace drift
