// cordon-proxy-door: the first program bwrap runs in a sandbox with a network allowlist.
//
//   cordon-proxy-door CHANNEL_FD PORT -- COMMAND [ARG...]
//
// The sandbox has its own network namespace with nothing but loopback. This program opens a
// TCP listener on 127.0.0.1:PORT there, hands the listening socket to cordon on the host
// through CHANNEL_FD (one end of a socketpair, SCM_RIGHTS), waits for cordon to say its proxy
// now accepts on it, closes both descriptors and execs COMMAND. From then on the command's
// only way out is a TCP connection to 127.0.0.1:PORT, which the host's filtering proxy
// accepts and judges. No relay process stays in the sandbox.
//
// It runs under the command's own seccomp filter (bwrap applies it before exec): it needs
// nothing the filter denies (no AF_UNIX socket is created; sendmsg on an inherited pair is
// allowed), so nothing in the sandbox ever runs unfiltered. It never connects anywhere.
//
// Before the command runs it exits 125 when the door cannot be set up (a message on stderr
// starting "cordon-proxy-door:"), and 1 with bwrap's own "bwrap: execvp" line when the command
// cannot be executed.

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define SETUP_FAILED 125

static void fail(const char* what) {
  fprintf(stderr, "cordon-proxy-door: %s: %s\n", what, strerror(errno));
  _exit(SETUP_FAILED);
}

static void usage(void) {
  fprintf(stderr, "cordon-proxy-door: usage: cordon-proxy-door CHANNEL_FD PORT -- COMMAND [ARG...]\n");
  _exit(SETUP_FAILED);
}

static long parse_number(const char* text, long max) {
  char* end = NULL;
  errno = 0;
  long value = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < 0 || value > max) usage();
  return value;
}

static int open_listener(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket");
  struct sockaddr_in address;
  memset(&address, 0, sizeof address);
  address.sin_family = AF_INET;
  address.sin_port = htons((unsigned short)port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr*)&address, sizeof address) != 0) fail("bind 127.0.0.1");
  if (listen(fd, SOMAXCONN) != 0) fail("listen");
  return fd;
}

static void hand_over(int channel, int listener) {
  char byte = 'L';
  struct iovec data = {.iov_base = &byte, .iov_len = 1};
  union {
    char buffer[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  struct msghdr message = {.msg_iov = &data, .msg_iovlen = 1, .msg_control = control.buffer, .msg_controllen = sizeof control.buffer};
  struct cmsghdr* header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(header), &listener, sizeof(int));
  ssize_t sent;
  do sent = sendmsg(channel, &message, MSG_NOSIGNAL);
  while (sent < 0 && errno == EINTR);
  if (sent != 1) fail("handing the listener to cordon");
}

static void await_ready(int channel) {
  char answer = 0;
  ssize_t got;
  do got = read(channel, &answer, 1);
  while (got < 0 && errno == EINTR);
  if (got != 1 || answer != 'Y') {
    fprintf(stderr, "cordon-proxy-door: cordon's network proxy did not come up; the command was not run\n");
    _exit(SETUP_FAILED);
  }
}

int main(int argc, char** argv) {
  if (argc < 5 || strcmp(argv[3], "--") != 0) usage();
  int channel = (int)parse_number(argv[1], 1 << 20);
  int port = (int)parse_number(argv[2], 65535);
  if (port == 0) usage();

  int listener = open_listener(port);
  hand_over(channel, listener);
  // cordon holds its own copy; the command must not be able to accept on it or close it.
  close(listener);
  await_ready(channel);
  close(channel);

  execvp(argv[4], &argv[4]);
  // Exactly what bwrap itself prints and returns when it cannot exec the command, so a missing
  // command reads (and is classified) the same with or without the door.
  fprintf(stderr, "bwrap: execvp %s: %s\n", argv[4], strerror(errno));
  return 1;
}
