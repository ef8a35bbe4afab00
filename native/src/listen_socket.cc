// net_listen: listening TCP sockets that several threads of one process can each accept on.
// Node 20's listen() cannot set SO_REUSEPORT (reusePort arrived in 22.12), so the front-end threads
// get their sockets here and hand the descriptor to net.Server.listen({ fd }).
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <node_api.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace {

napi_value ThrowErrno(napi_env env, int err, const char* what) {
  // The error carries Node's errno code name (EADDRINUSE …) so callers report it as net would.
  napi_value msg, code, error;
  std::string text = std::string(what) + " " + strerror(err);
  napi_create_string_utf8(env, text.c_str(), NAPI_AUTO_LENGTH, &msg);
  const char* name = err == EADDRINUSE      ? "EADDRINUSE"
                     : err == EACCES        ? "EACCES"
                     : err == EADDRNOTAVAIL ? "EADDRNOTAVAIL"
                     : err == EAFNOSUPPORT  ? "EAFNOSUPPORT"
                     : err == EMFILE        ? "EMFILE"
                     : err == EINVAL        ? "EINVAL"
                                            : "EIO";
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, msg, &error);
  napi_throw(env, error);
  return nullptr;
}

bool GetString(napi_env env, napi_value v, std::string* out) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, nullptr, 0, &len) != napi_ok) return false;
  out->resize(len);
  return napi_get_value_string_utf8(env, v, &(*out)[0], len + 1, &len) == napi_ok;
}

// listen(host, port, backlog, reusePort) -> { fd, port }. host is a numeric address; backlog 0 binds
// without listening (a probe: shows a conflict, accepts nothing).
napi_value Listen(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  std::string host;
  int32_t port = 0, backlog = 511;
  bool reuse = false;
  if (argc < 4 || !GetString(env, argv[0], &host) || napi_get_value_int32(env, argv[1], &port) != napi_ok ||
      napi_get_value_int32(env, argv[2], &backlog) != napi_ok || napi_get_value_bool(env, argv[3], &reuse) != napi_ok) {
    napi_throw_type_error(env, nullptr, "listen(host, port, backlog, reusePort)");
    return nullptr;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  if (getaddrinfo(host.c_str(), service.c_str(), &hints, &res) != 0 || res == nullptr) {
    return ThrowErrno(env, EADDRNOTAVAIL, ("listen " + host).c_str());
  }
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    int err = errno;
    freeaddrinfo(res);
    return ThrowErrno(env, err, "socket");
  }
  int on = 1, off = 0;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) {
    int err = errno;
    close(fd);
    freeaddrinfo(res);
    return ThrowErrno(env, err, "setsockopt SO_REUSEPORT");
  }
  // As Node does for "::": accept IPv4 too.
  if (res->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  int rc = bind(fd, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (rc != 0 || (backlog > 0 && listen(fd, backlog) != 0)) {
    int err = errno;
    close(fd);
    return ThrowErrno(env, err, ("listen " + host + ":" + service).c_str());
  }
  sockaddr_storage bound{};
  socklen_t blen = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &blen);
  int actual = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                           : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  napi_value out, vfd, vport;
  napi_create_object(env, &out);
  napi_create_int32(env, fd, &vfd);
  napi_create_int32(env, actual, &vport);
  napi_set_named_property(env, out, "fd", vfd);
  napi_set_named_property(env, out, "port", vport);
  return out;
}

// closeFd(fd): for a socket made here that never reached net.Server.
napi_value CloseFd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc == 1 && napi_get_value_int32(env, argv[0], &fd) == napi_ok && fd >= 0) close(fd);
  return nullptr;
}

// setThreadName(name): the OS name of the calling thread (15 bytes), so per-thread CPU in /proc is
// readable; Node 20's Worker `name` option does not set it.
napi_value SetThreadName(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  std::string name;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc == 1 && GetString(env, argv[0], &name)) prctl(PR_SET_NAME, name.substr(0, 15).c_str(), 0, 0, 0);
  return nullptr;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"listen", nullptr, Listen, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"closeFd", nullptr, CloseFd, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setThreadName", nullptr, SetThreadName, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, 3, props);
  return exports;
}

}  // namespace

NAPI_MODULE_INIT() { return Init(env, exports); }
