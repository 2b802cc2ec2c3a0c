#include "daemon/http_server.h"

#include <optional>

#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>

namespace drift {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr size_t kMaxBody = 1 << 20;
constexpr unsigned kMaxHeader = 16 * 1024;
constexpr auto kIdle = std::chrono::seconds(60);

std::string Decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') out += ' ';
    else if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket s, std::shared_ptr<const HttpServer::Handler> h)
      : stream_(std::move(s)), handler_(std::move(h)) {}
  void Run() { Read(); }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(kMaxBody);
    parser_->header_limit(kMaxHeader);
    stream_.expires_after(kIdle);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout) return Close();
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
      return Reply(413, "text/plain", "request too large\n", false);
    }
    if (ec) return Close();
    auto& req = parser_->get();
    HttpServerRequest r;
    r.method = std::string(req.method_string());
    std::string target_storage(req.target());
    std::string_view target = target_storage;
    auto q = target.find('?');
    r.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) {
      std::string_view rest = target.substr(q + 1);
      while (!rest.empty()) {
        auto amp = rest.find('&');
        std::string_view kv = rest.substr(0, amp);
        auto eq = kv.find('=');
        try {
          r.query[Decode(kv.substr(0, eq))] =
              eq == std::string_view::npos ? "" : Decode(kv.substr(eq + 1));
        } catch (const std::exception&) {
          return Reply(400, "text/plain", "bad query string\n", false);
        }
        if (amp == std::string_view::npos) break;
        rest = rest.substr(amp + 1);
      }
    }
    r.authorization = std::string(req[http::field::authorization]);
    r.body = req.body();
    HttpServerResponse resp = (*handler_)(r);
    Reply(resp.status, resp.content_type, std::move(resp.body), req.keep_alive());
  }

  void Reply(int status, const std::string& type, std::string body, bool keep_alive) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(status), 11);
    res->set(http::field::server, "drift/" DRIFT_VERSION);
    res->set(http::field::content_type, type);
    res->keep_alive(keep_alive);
    res->body() = std::move(body);
    res->prepare_payload();
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
                        if (ec || !keep_alive) return self->Close();
                        self->Read();
                      });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<const HttpServer::Handler> handler_;
};

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(net::io_context& io, Handler h)
      : acceptor(io), handler(std::make_shared<const Handler>(std::move(h))) {}
  void Accept() {
    acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket s) {
      if (ec == net::error::operation_aborted || !self->acceptor.is_open()) return;
      if (!ec) std::make_shared<Session>(std::move(s), self->handler)->Run();
      self->Accept();
    });
  }
  tcp::acceptor acceptor;
  std::shared_ptr<const Handler> handler;
};

Result<std::unique_ptr<HttpServer>> HttpServer::Start(net::io_context& io,
                                                      const std::string& listen, Handler handler) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return MakeError("listen address must be HOST:PORT: " + listen);
  std::string host = listen.substr(0, colon);
  if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
  int port = 0;
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (const std::exception&) {
    return MakeError("invalid port in " + listen);
  }
  beast::error_code ec;
  auto addr = net::ip::make_address(host, ec);
  if (ec) return MakeError("invalid listen address " + listen + ": " + ec.message());
  auto server = std::unique_ptr<HttpServer>(new HttpServer());
  server->impl_ = std::make_shared<Impl>(io, std::move(handler));
  auto& a = server->impl_->acceptor;
  tcp::endpoint ep(addr, static_cast<unsigned short>(port));
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return MakeError("cannot listen on " + listen + ": " + ec.message());
  server->port_ = a.local_endpoint().port();
  server->impl_->Accept();
  return server;
}

void HttpServer::Stop() {
  if (!impl_) return;
  beast::error_code ec;
  impl_->acceptor.close(ec);
}

HttpServer::~HttpServer() { Stop(); }

}  // namespace drift
