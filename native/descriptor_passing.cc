// The host side of cordon-proxy-door (native/proxy_door.c): a socketpair whose one end the
// door gets, and an event-loop-driven receive of the listening socket it sends back.
//
// Node has no socketpair() and drops SCM_RIGHTS ancillary data on ordinary sockets, so these
// two calls are the whole of it. The receive waits with a uv_poll on the main loop: no thread
// is parked per sandbox (a blocked libuv pool thread would stall the harness's file I/O).
//
// Exports:
//   socketPair() -> [hostEnd, childEnd]   AF_UNIX stream pair, both close-on-exec (the child
//                                         end reaches the sandbox through spawn's stdio, whose
//                                         dup2 clears the flag on the copy it makes)
//   receiveDescriptor(fd, callback)       calls callback(receivedFd, errno) once: receivedFd
//                                         >= 0 (close-on-exec) on success, else -1 and an
//                                         errno (0 for "peer closed without sending")

#include "descriptor_passing.h"

#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace {

Napi::Value SocketPair(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    throw Napi::Error::New(env, std::string("socketpair: ") + std::strerror(errno));
  }
  Napi::Array pair = Napi::Array::New(env, 2);
  pair.Set(uint32_t{0}, Napi::Number::New(env, fds[0]));
  pair.Set(uint32_t{1}, Napi::Number::New(env, fds[1]));
  return pair;
}

struct PendingReceive {
  uv_poll_t poll;
  int fd;
  napi_env env;
  Napi::FunctionReference callback;
  std::unique_ptr<Napi::AsyncContext> context;
};

// One recvmsg: the descriptor sent with the first byte, or why there is none. Any extra
// descriptors a peer squeezed in are closed, never leaked into this process.
int ReceiveOne(int fd, int* received) {
  char byte;
  struct iovec data = {&byte, 1};
  union {
    char buffer[CMSG_SPACE(sizeof(int) * 4)];
    struct cmsghdr align;
  } control;
  struct msghdr message;
  std::memset(&message, 0, sizeof message);
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  message.msg_control = control.buffer;
  message.msg_controllen = sizeof control.buffer;
  ssize_t got = recvmsg(fd, &message, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  if (got < 0) return errno;
  if (got == 0) return -1;  // peer closed without sending
  *received = -1;
  for (struct cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr; header = CMSG_NXTHDR(&message, header)) {
    if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; i++) {
      int passed;
      std::memcpy(&passed, CMSG_DATA(header) + i * sizeof(int), sizeof(int));
      if (*received < 0) *received = passed;
      else close(passed);
    }
  }
  if (message.msg_flags & MSG_CTRUNC) {
    if (*received >= 0) close(*received);
    *received = -1;
    return EPROTO;
  }
  return *received >= 0 ? 0 : EPROTO;
}

void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
  auto* pending = static_cast<PendingReceive*>(handle->data);
  int received = -1;
  int error = status < 0 ? -status : ReceiveOne(pending->fd, &received);
  if (error == EAGAIN || error == EWOULDBLOCK || error == EINTR) return;  // spurious wake-up
  if (error == -1) error = 0;                                           // closed: errno 0
  uv_poll_stop(handle);
  Napi::Env env(pending->env);
  {
    Napi::HandleScope scope(env);
    try {
      pending->callback.MakeCallback(env.Global(), {Napi::Number::New(env, received), Napi::Number::New(env, error)}, *pending->context);
    } catch (const Napi::Error& thrown) {
      // A throwing callback is the caller's bug: surface it as an uncaught exception.
      napi_fatal_exception(pending->env, thrown.Value());
    }
  }
  uv_close(reinterpret_cast<uv_handle_t*>(handle), [](uv_handle_t* closing) { delete static_cast<PendingReceive*>(closing->data); });
}

Napi::Value ReceiveDescriptor(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 2 || !info[0].IsNumber() || !info[1].IsFunction()) {
    throw Napi::TypeError::New(env, "receiveDescriptor(fd, callback)");
  }
  int fd = info[0].As<Napi::Number>().Int32Value();
  if (fd < 0) throw Napi::TypeError::New(env, "receiveDescriptor: fd must be >= 0");
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) throw Napi::Error::New(env, "no event loop");
  auto pending = std::make_unique<PendingReceive>();
  pending->fd = fd;
  pending->env = env;
  pending->callback = Napi::Persistent(info[1].As<Napi::Function>());
  pending->context = std::make_unique<Napi::AsyncContext>(env, "cordon:receiveDescriptor");
  pending->poll.data = pending.get();
  int rc = uv_poll_init(loop, &pending->poll, fd);
  if (rc != 0) throw Napi::Error::New(env, std::string("uv_poll_init: ") + uv_strerror(rc));
  rc = uv_poll_start(&pending->poll, UV_READABLE | UV_DISCONNECT, OnReadable);
  if (rc != 0) {
    // Initialised handles must be closed before their memory goes.
    PendingReceive* raw = pending.release();
    uv_close(reinterpret_cast<uv_handle_t*>(&raw->poll), [](uv_handle_t* closing) { delete static_cast<PendingReceive*>(closing->data); });
    throw Napi::Error::New(env, std::string("uv_poll_start: ") + uv_strerror(rc));
  }
  pending.release();  // owned by the poll handle until its close callback
  return env.Undefined();
}

}  // namespace

void RegisterDescriptorPassing(Napi::Env env, Napi::Object exports) {
  exports.Set("socketPair", Napi::Function::New(env, SocketPair, "socketPair"));
  exports.Set("receiveDescriptor", Napi::Function::New(env, ReceiveDescriptor, "receiveDescriptor"));
}
