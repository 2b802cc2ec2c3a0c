// A small HTTP(S) server for tests and benchmarks: 127.0.0.1, a free port, one thread per
// connection (test code; drift's own client is event-driven), handlers that can delay,
// fail, truncate or send oversized bodies.
#pragma once

#include <utility>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <atomic>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace drift::testing {

struct HttpReply {
  using Headers = std::vector<std::pair<std::string, std::string>>;
  HttpReply(int s = 200, std::string b = "", std::string ct = "application/json", Headers h = {},
            int delay = 0, bool trunc = false)
      : status(s), body(std::move(b)), content_type(std::move(ct)), headers(std::move(h)),
        delay_ms(delay), truncate(trunc) {}
  int status;
  std::string body;
  std::string content_type;
  Headers headers;
  int delay_ms;
  bool truncate;  // announce a longer body than is sent, then close
  // When set, these bytes are sent as the whole response (status line, headers and all),
  // then the connection stalls `stall_ms` and closes: for answers no server should give.
  std::string raw;
  int stall_ms = 0;
};

struct HttpCall {
  std::string target;
  std::string authorization;
  std::string body;
  std::string method = "GET";
  std::string accept;
  std::string client_cn;  // TLS with a client CA: the verified client certificate's CN
};

class TestHttpServer {
 public:
  using Handler = std::function<HttpReply(const HttpCall&)>;

  // With cert/key files the server speaks TLS.
  // `port` 0 picks a free one. With `listening` false the port is bound but refuses
  // connections until Listen().
  // With `client_ca`, clients may present a certificate signed by it (its CN reaches the
  // handler); one signed by anything else fails the handshake.
  explicit TestHttpServer(Handler handler, std::string cert = "", std::string key = "",
                          unsigned short port = 0, bool listening = true,
                          std::string client_ca = "")
      : handler_(std::move(handler)), acceptor_(io_), tls_(!cert.empty()),
        ssl_(boost::asio::ssl::context::tls_server) {
    namespace net = boost::asio;
    if (tls_) {
      ssl_.use_certificate_chain_file(cert);
      ssl_.use_private_key_file(key, net::ssl::context::pem);
      if (!client_ca.empty()) {
        ssl_.load_verify_file(client_ca);
        ssl_.set_verify_mode(net::ssl::verify_peer);
      }
    }
    net::ip::tcp::endpoint ep(net::ip::make_address("127.0.0.1"), port);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    port_ = acceptor_.local_endpoint().port();
    if (listening) Listen();
  }

  void Listen() {
    acceptor_.listen(1024);
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }

  ~TestHttpServer() {
    stopping_ = true;
    boost::system::error_code ec;
    if (!accept_thread_.joinable()) return;  // never listened
    {  // wake the blocking accept()
      boost::asio::io_context io;
      boost::asio::ip::tcp::socket poke(io);
      poke.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)}, ec);
    }
    accept_thread_.join();
    acceptor_.close(ec);
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto* s : open_) s->shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    }
    for (auto& t : workers_) t.join();
  }

  int port() const { return port_; }
  std::string url(const std::string& path) const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + path;
  }
  size_t requests() const { return requests_; }

 private:
  void AcceptLoop() {
    for (;;) {
      boost::asio::ip::tcp::socket sock(io_);
      boost::system::error_code ec;
      acceptor_.accept(sock, ec);
      if (ec || stopping_) return;
      std::lock_guard<std::mutex> lock(mu_);
      sockets_.push_back(std::move(sock));
      auto* s = &sockets_.back();
      open_.push_back(s);
      workers_.emplace_back([this, s] {
        Serve(*s);
        std::lock_guard<std::mutex> l(mu_);
        open_.erase(std::find(open_.begin(), open_.end(), s));
      });
    }
  }

  template <typename Stream>
  void Loop(Stream& stream, const std::string& client_cn = "") {
    namespace http = boost::beast::http;
    boost::beast::flat_buffer buf;
    for (;;) {
      http::request<http::string_body> req;
      boost::system::error_code ec;
      http::read(stream, buf, req, ec);
      if (ec) return;
      ++requests_;
      HttpCall call{std::string(req.target()), std::string(req[http::field::authorization]),
                    req.body(), std::string(req.method_string()), std::string(req[http::field::accept]),
                    client_cn};
      HttpReply r = handler_(call);
      if (r.delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(r.delay_ms));
      if (!r.raw.empty()) {
        boost::asio::write(stream, boost::asio::buffer(r.raw), ec);
        if (r.stall_ms) std::this_thread::sleep_for(std::chrono::milliseconds(r.stall_ms));
        return;
      }
      if (r.truncate) {
        std::string raw = "HTTP/1.1 " + std::to_string(r.status) +
                          " OK\r\nContent-Type: " + r.content_type +
                          "\r\nContent-Length: " + std::to_string(r.body.size() + 100) +
                          "\r\n\r\n" + r.body;
        boost::asio::write(stream, boost::asio::buffer(raw), ec);
        return;
      }
      http::response<http::string_body> res{static_cast<http::status>(r.status), req.version()};
      res.set(http::field::content_type, r.content_type);
      for (auto& [k, v] : r.headers) res.set(k, v);
      res.keep_alive(req.keep_alive());
      res.body() = r.body;
      res.prepare_payload();
      http::write(stream, res, ec);
      if (ec || !req.keep_alive()) return;
    }
  }

  void Serve(boost::asio::ip::tcp::socket& sock) {
    if (!tls_) {
      Loop(sock);
    } else {
      boost::asio::ssl::stream<boost::asio::ip::tcp::socket&> stream(sock, ssl_);
      boost::system::error_code ec;
      stream.handshake(boost::asio::ssl::stream_base::server, ec);
      std::string cn;
      if (!ec) {
        if (X509* peer = SSL_get1_peer_certificate(stream.native_handle())) {
          char buf[256] = {0};
          X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, buf, sizeof buf);
          cn = buf;
          X509_free(peer);
        }
        Loop(stream, cn);
      }
    }
    boost::system::error_code ec;
    sock.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    sock.close(ec);
  }

  Handler handler_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  bool tls_;
  boost::asio::ssl::context ssl_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> requests_{0};
  std::thread accept_thread_;
  std::mutex mu_;
  std::list<boost::asio::ip::tcp::socket> sockets_;
  std::vector<boost::asio::ip::tcp::socket*> open_;
  std::vector<std::thread> workers_;
};

}  // namespace drift::testing
