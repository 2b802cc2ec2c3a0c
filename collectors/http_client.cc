#include "collectors/http_client.h"

#include <curl/curl.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

namespace drift {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
std::once_flag curl_init;

// One request in flight; owns its curl handles (removed from the multi handle first).
struct Transfer {
  explicit Transfer(CURLM* m) : multi(m) {}
  ~Transfer() {
    if (easy) {
      curl_multi_remove_handle(multi, easy);
      curl_easy_cleanup(easy);
    }
    curl_slist_free_all(headers);
  }
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;
  CURLM* multi;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string body;
  std::string content_type;
  long retry_after_s = -1;
  uint64_t max_size = 0;
  bool too_big = false;
  char errbuf[CURL_ERROR_SIZE] = {0};
  std::function<void(HttpResponse)> done;
};

// The transport failures drift tells apart (tests and retries rely on these, not on
// libcurl's wording).
ErrorKind KindOf(CURLcode code) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return ErrorKind::kTimeout;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return ErrorKind::kUnreachable;
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
      return ErrorKind::kTruncated;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
      return ErrorKind::kTls;
    default:
      return ErrorKind::kOther;
  }
}

size_t OnBody(char* data, size_t size, size_t n, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  size_t len = size * n;
  if (t->body.size() + len > t->max_size) {
    t->too_big = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  t->body.append(data, len);
  return len;
}

size_t OnHeader(char* data, size_t size, size_t n, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  std::string_view h(data, size * n);
  auto colon = h.find(':');
  if (colon != std::string_view::npos) {
    std::string name(h.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = h.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    if (name == "retry-after") {
      char* end = nullptr;
      std::string v(value);
      long s = std::strtol(v.c_str(), &end, 10);
      if (end && *end == 0 && !v.empty()) t->retry_after_s = s;
    }
  } else if (h.starts_with("HTTP/")) {
    t->retry_after_s = -1;  // a new response (after a redirect) starts
  }
  return size * n;
}
}  // namespace

struct HttpClient::Impl {
  struct Sock {
    std::unique_ptr<tcp::socket> socket;
    uint64_t id;
    int want = 0;  // CURL_POLL_* bits
    bool reading = false, writing = false;
  };

  asio::io_context& io;
  CURLM* multi;
  asio::steady_timer timer;
  std::unordered_map<curl_socket_t, Sock> sockets;
  std::unordered_map<Transfer*, std::unique_ptr<Transfer>> active;
  uint64_t next_id = 1;

  Impl(asio::io_context& io_ctx, int max_total, int max_per_host)
      : io(io_ctx), multi(curl_multi_init()), timer(io_ctx) {
    curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &Impl::OnSocket);
    curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &Impl::OnTimer);
    curl_multi_setopt(multi, CURLMOPT_TIMERDATA, this);
    curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, static_cast<long>(max_total));
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(max_per_host));
  }

  ~Impl() {
    timer.cancel();
    // Transfers abandoned at shutdown are cleaned up without calling back.
    active.clear();
    curl_multi_cleanup(multi);
  }

  static curl_socket_t OpenSocket(void* clientp, curlsocktype purpose, curl_sockaddr* addr) {
    auto* self = static_cast<Impl*>(clientp);
    if (purpose != CURLSOCKTYPE_IPCXN || (addr->family != AF_INET && addr->family != AF_INET6))
      return CURL_SOCKET_BAD;
    auto sock = std::make_unique<tcp::socket>(self->io);
    boost::system::error_code ec;
    sock->open(addr->family == AF_INET ? tcp::v4() : tcp::v6(), ec);
    if (ec) return CURL_SOCKET_BAD;
    curl_socket_t fd = sock->native_handle();
    self->sockets[fd] = Sock{std::move(sock), self->next_id++};
    return fd;
  }

  static int CloseSocket(void* clientp, curl_socket_t fd) {
    auto* self = static_cast<Impl*>(clientp);
    auto it = self->sockets.find(fd);
    if (it == self->sockets.end()) return ::close(fd);
    boost::system::error_code ec;
    it->second.socket->close(ec);  // cancels pending waits; their handlers see a new id
    self->sockets.erase(it);
    return 0;
  }

  static int OnSocket(CURL*, curl_socket_t fd, int what, void* userp, void*) {
    auto* self = static_cast<Impl*>(userp);
    auto it = self->sockets.find(fd);
    if (it == self->sockets.end()) return 0;
    it->second.want = what == CURL_POLL_REMOVE ? 0 : what;
    self->Arm(fd);
    return 0;
  }

  void Arm(curl_socket_t fd) {
    auto it = sockets.find(fd);
    if (it == sockets.end()) return;
    Sock& s = it->second;
    uint64_t id = s.id;
    if ((s.want & CURL_POLL_IN) && !s.reading) {
      s.reading = true;
      s.socket->async_wait(tcp::socket::wait_read, [this, fd, id](boost::system::error_code ec) {
        OnReady(fd, id, CURL_CSELECT_IN, true, ec);
      });
    }
    if ((s.want & CURL_POLL_OUT) && !s.writing) {
      s.writing = true;
      s.socket->async_wait(tcp::socket::wait_write, [this, fd, id](boost::system::error_code ec) {
        OnReady(fd, id, CURL_CSELECT_OUT, false, ec);
      });
    }
  }

  void OnReady(curl_socket_t fd, uint64_t id, int action, bool read,
               boost::system::error_code ec) {
    auto it = sockets.find(fd);
    if (it == sockets.end() || it->second.id != id) return;  // closed (or fd reused)
    (read ? it->second.reading : it->second.writing) = false;
    if (ec == asio::error::operation_aborted) return;
    if (ec) action = CURL_CSELECT_ERR;
    int running = 0;
    curl_multi_socket_action(multi, fd, action, &running);
    Drain();
    Arm(fd);
  }

  static int OnTimer(CURLM*, long timeout_ms, void* userp) {
    auto* self = static_cast<Impl*>(userp);
    self->timer.cancel();
    if (timeout_ms < 0) return 0;
    self->timer.expires_after(std::chrono::milliseconds(timeout_ms));
    self->timer.async_wait([self](boost::system::error_code ec) {
      if (ec) return;
      int running = 0;
      curl_multi_socket_action(self->multi, CURL_SOCKET_TIMEOUT, 0, &running);
      self->Drain();
    });
    return 0;
  }

  void Drain() {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURL* easy = msg->easy_handle;
      CURLcode code = msg->data.result;
      Transfer* t = nullptr;
      curl_easy_getinfo(easy, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
      HttpResponse r;
      if (code == CURLE_OK) {
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &r.status);
        char* ct = nullptr;
        curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &ct);
        if (ct) r.content_type = ct;
        r.body = std::move(t->body);
        r.retry_after_s = t->retry_after_s;
      } else if (t->too_big || code == CURLE_FILESIZE_EXCEEDED) {
        r.error = "response is larger than the " + std::to_string(t->max_size) +
                  " bytes limit (max_size)";
        r.error_kind = ErrorKind::kTooLarge;
      } else {
        r.error = t->errbuf[0] ? std::string(t->errbuf) : curl_easy_strerror(code);
        r.retryable = code == CURLE_COULDNT_CONNECT || code == CURLE_OPERATION_TIMEDOUT ||
                      code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_GOT_NOTHING ||
                      code == CURLE_RECV_ERROR || code == CURLE_SEND_ERROR;
        r.error_kind = KindOf(code);
      }
      auto done = std::move(t->done);
      active.erase(t);  // the transfer's destructor releases its handles
      done(std::move(r));
    }
  }

  void Send(const HttpRequest& req, std::function<void(HttpResponse)> done) {
    auto owned = std::make_unique<Transfer>(multi);
    Transfer* t = owned.get();
    t->done = std::move(done);
    t->max_size = req.max_size;
    CURL* e = curl_easy_init();
    t->easy = e;
    curl_easy_setopt(e, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &OnBody);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &OnHeader);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, &Impl::OpenSocket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, this);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, &Impl::CloseSocket);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, this);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(req.timeout.count()));
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_USERAGENT, "drift/" DRIFT_VERSION);
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(req.max_size));
    // Loopback never goes through a proxy (an inherited https_proxy must not break tests).
    curl_easy_setopt(e, CURLOPT_NOPROXY, "127.0.0.1,localhost,::1");
    if (!req.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, req.ca_file.c_str());
    // Blobs are copied by libcurl (CURL_BLOB_COPY): the request may go away first.
    auto blob = [e](CURLoption opt, const std::string& pem) {
      curl_blob b{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_COPY};
      curl_easy_setopt(e, opt, &b);
    };
    if (!req.ca_pem.empty()) blob(CURLOPT_CAINFO_BLOB, req.ca_pem);
    if (!req.cert_file.empty()) curl_easy_setopt(e, CURLOPT_SSLCERT, req.cert_file.c_str());
    if (!req.cert_pem.empty()) blob(CURLOPT_SSLCERT_BLOB, req.cert_pem);
    if (!req.key_file.empty()) curl_easy_setopt(e, CURLOPT_SSLKEY, req.key_file.c_str());
    if (!req.key_pem.empty()) blob(CURLOPT_SSLKEY_BLOB, req.key_pem);
    if (!req.username.empty()) {
      curl_easy_setopt(e, CURLOPT_USERNAME, req.username.c_str());
      curl_easy_setopt(e, CURLOPT_PASSWORD, req.password.c_str());
    }
    if (req.insecure) {
      curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (req.method == "POST") {
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
      curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, req.body.c_str());
      curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);  // a redirected POST would become a GET
    }
    for (const auto& [k, v] : req.headers) t->headers = curl_slist_append(t->headers, (k + ": " + v).c_str());
    if (t->headers) curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    active.emplace(t, std::move(owned));
    curl_multi_add_handle(multi, e);
  }
};

HttpClient::HttpClient(asio::io_context& io, int max_total, int max_per_host) {
  std::call_once(curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  impl_ = std::make_unique<Impl>(io, max_total, max_per_host);
}

HttpClient::~HttpClient() = default;

void HttpClient::Send(const HttpRequest& request, std::function<void(HttpResponse)> done) {
  impl_->Send(request, std::move(done));
}

}  // namespace drift
