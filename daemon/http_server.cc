#include "daemon/http_server.h"

#include <cctype>
#include <charconv>

#include <atomic>
#include <optional>

#include <zlib.h>

#include <boost/asio/steady_timer.hpp>
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
    else if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
             std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      auto hex = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Counts a connection while its Session lives.
struct ConnectionSlot {
  explicit ConnectionSlot(std::shared_ptr<std::atomic<size_t>> n) : open(std::move(n)) { ++*open; }
  ~ConnectionSlot() { --*open; }
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  std::shared_ptr<std::atomic<size_t>> open;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket s, std::shared_ptr<const HttpServer::Handler> h,
          std::shared_ptr<std::atomic<size_t>> open)
      : stream_(std::move(s)), handler_(std::move(h)), slot_(std::move(open)) {}
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
    if (ec == http::error::body_limit)
      return Reply(413, "text/plain", "request body too large\n", false);
    if (ec == http::error::header_limit)
      return Reply(431, "text/plain", "request headers too large\n", false);
    // A request that is not HTTP gets told so; a transport error just closes.
    if (ec && ec.category() == http::make_error_code(http::error::bad_target).category())
      return Reply(400, "text/plain", "bad request: " + ec.message() + "\n", false);
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
    r.accept_encoding = std::string(req[http::field::accept_encoding]);
    r.if_none_match = std::string(req[http::field::if_none_match]);
    r.body = req.body();
    bool head = req.method() == http::verb::head;
    HttpServerResponse resp = (*handler_)(r);
    if (resp.shared_body) return ReplyShared(std::move(resp), req.keep_alive(), head);
    Reply(resp.status, resp.content_type, std::move(resp.body), req.keep_alive(), resp.headers, head);
  }

  template <class Response>
  void Prepare(Response& res, const std::string& type, bool keep_alive,
               const std::vector<std::pair<std::string, std::string>>& headers) {
    res.set(http::field::server, "drift/" DRIFT_VERSION);
    if (res.result() != http::status::not_modified) res.set(http::field::content_type, type);
    for (const auto& [k, v] : headers) res.set(k, v);
    res.keep_alive(keep_alive);
  }

  template <class Response>
  void Send(std::shared_ptr<Response> res, bool keep_alive, std::shared_ptr<const void> keep) {
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, keep, keep_alive](beast::error_code ec, size_t) {
                        if (ec || !keep_alive) return self->Close();
                        self->Read();
                      });
  }

  void Reply(int status, const std::string& type, std::string body, bool keep_alive,
             const std::vector<std::pair<std::string, std::string>>& headers = {},
             bool head = false) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(status), 11);
    Prepare(*res, type, keep_alive, headers);
    res->body() = std::move(body);
    res->prepare_payload();
    if (head) res->body().clear();  // Content-Length stays the GET's
    Send(res, keep_alive, nullptr);
  }

  // The body stays owned by the shared string (kept alive until the write completes).
  void ReplyShared(HttpServerResponse resp, bool keep_alive, bool head) {
    using Body = http::span_body<const char>;
    auto res = std::make_shared<http::response<Body>>(static_cast<http::status>(resp.status), 11);
    Prepare(*res, resp.content_type, keep_alive, resp.headers);
    const std::string& b = *resp.shared_body;
    res->body() = head ? Body::value_type{} : Body::value_type{b.data(), b.size()};
    res->content_length(b.size());
    Send(res, keep_alive, std::move(resp.shared_body));
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<const HttpServer::Handler> handler_;
  ConnectionSlot slot_;
};

}  // namespace

Result<std::string> Gzip(std::string_view data, int level) {
  z_stream z{};
  // 15 + 16: a gzip header and trailer around the deflate stream.
  if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return MakeError("zlib: cannot start deflate");
  std::string out;
  out.resize(deflateBound(&z, data.size()));
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return MakeError("zlib: deflate failed");
  return out;
}

bool AcceptsGzip(std::string_view accept) {
  while (!accept.empty()) {
    auto comma = accept.find(',');
    std::string_view item = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view{} : accept.substr(comma + 1);
    auto semi = item.find(';');
    std::string_view coding = item.substr(0, semi);
    while (!coding.empty() && coding.front() == ' ') coding.remove_prefix(1);
    while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
    if (coding != "gzip" && coding != "x-gzip") continue;
    if (semi == std::string_view::npos) return true;
    std::string_view params = item.substr(semi + 1);
    auto q = params.find("q=");
    if (q == std::string_view::npos) return true;
    std::string_view v = params.substr(q + 2);
    v = v.substr(0, v.find_first_of(" ;"));
    return v.find_first_of("123456789") != std::string_view::npos;  // q=0, q=0.000 refuse
  }
  return false;
}

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(net::io_context& io, Handler h, HttpServerOptions o)
      : acceptor(io), retry(io), handler(std::make_shared<const Handler>(std::move(h))),
        options(o) {}
  void Accept() {
    acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket s) {
      if (ec == net::error::operation_aborted || !self->acceptor.is_open()) return;
      if (ec == net::error::no_descriptors || ec.value() == ENFILE || ec == net::error::no_buffer_space ||
          ec == net::error::no_memory) {
        // Out of descriptors: accepting again at once would spin. The pending connection
        // waits in the backlog; try again shortly.
        ++*self->rejected;
        self->retry.expires_after(std::chrono::milliseconds(100));
        self->retry.async_wait([self](beast::error_code e) {
          if (!e && self->acceptor.is_open()) self->Accept();
        });
        return;
      }
      if (!ec) {
        if (*self->open >= self->options.max_connections) {
          ++*self->rejected;
          beast::error_code ignored;
          s.close(ignored);  // at once: no descriptor is held for it
        } else {
          std::make_shared<Session>(std::move(s), self->handler, self->open)->Run();
        }
      }
      self->Accept();
    });
  }
  tcp::acceptor acceptor;
  net::steady_timer retry;
  std::shared_ptr<const Handler> handler;
  HttpServerOptions options;
  std::shared_ptr<std::atomic<size_t>> open = std::make_shared<std::atomic<size_t>>(0);
  std::shared_ptr<std::atomic<uint64_t>> rejected = std::make_shared<std::atomic<uint64_t>>(0);
};

size_t HttpServer::connections() const { return impl_ ? impl_->open->load() : 0; }
uint64_t HttpServer::rejected() const { return impl_ ? impl_->rejected->load() : 0; }

Result<std::unique_ptr<HttpServer>> HttpServer::Start(net::io_context& io,
                                                      const std::string& listen, Handler handler,
                                                      HttpServerOptions options) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return MakeError("listen address must be HOST:PORT: " + listen);
  std::string host = listen.substr(0, colon);
  if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
  int port = -1;
  std::string port_text = listen.substr(colon + 1);
  auto [end, perr] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (perr != std::errc() || end != port_text.data() + port_text.size() || port < 0 || port > 65535)
    return MakeError("invalid port in " + listen + " (0-65535)");
  beast::error_code ec;
  auto addr = net::ip::make_address(host, ec);
  if (ec) return MakeError("invalid listen address " + listen + ": " + ec.message());
  auto server = std::unique_ptr<HttpServer>(new HttpServer());
  server->impl_ = std::make_shared<Impl>(io, std::move(handler), options);
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
  impl_->retry.cancel();
}

HttpServer::~HttpServer() { Stop(); }

}  // namespace drift
