/*
 * Native WebSocket echo origin: listens on 127.0.0.1:0, prints {"port":N}, answers any
 * upgrade (and a plain 200 for other requests), echoes every data frame unmasked (RFC 6455
 * §5.1: servers never mask), answers ping with pong and close with close then TCP close
 * (§7.1.1: the server closes TCP first). Exits when stdin reaches EOF (its parent is gone).
 */
#include "ws-common.h"

#define MAX_HEAD_BYTES (16 * 1024)

typedef struct {
  int fd, open, closing, reading;
  uint32_t gen;
  buf_t head, out;
  reader_t reader;
  uint8_t control[125];
  int control_len;
} conn_t;

static conn_t **conns;
static uint32_t conn_count, conn_cap;
static uint32_t *free_slots;
static uint32_t free_count;
static int ep;

static uint32_t new_slot(void) {
  if (free_count > 0) return free_slots[--free_count];
  if (conn_count == conn_cap) {
    conn_cap = conn_cap ? conn_cap * 2 : 1024;
    conns = realloc(conns, conn_cap * sizeof *conns);
    free_slots = realloc(free_slots, conn_cap * sizeof *free_slots);
    if (!conns || !free_slots) die("realloc");
  }
  conns[conn_count] = calloc(1, sizeof(conn_t));
  return conn_count++;
}

static void close_conn(uint32_t index) {
  conn_t *c = conns[index];
  if (c->fd < 0) return;
  close(c->fd);
  c->fd = -1;
  buf_free(&c->head);
  buf_free(&c->out);
  free_slots[free_count++] = index;
}

static int conn_alive(void *ctx) { return ((conn_t *)ctx)->fd >= 0 && !((conn_t *)ctx)->closing; }

/* Writes what it can; while bytes are pending, stops reading (backpressure) and waits for EPOLLOUT. */
static void flush(uint32_t index) {
  conn_t *c = conns[index];
  while (buf_pending(&c->out) > 0) {
    ssize_t n = write(c->fd, c->out.data + c->out.off, buf_pending(&c->out));
    if (n > 0) { c->out.off += (size_t)n; continue; }
    if (n < 0 && errno == EAGAIN) {
      if (c->reading) { ep_set(ep, EPOLL_CTL_MOD, c->fd, EPOLLOUT, EV_KEY(index, c->gen)); c->reading = 0; }
      return;
    }
    close_conn(index);
    return;
  }
  if (c->closing) { close_conn(index); return; }
  if (!c->reading) { ep_set(ep, EPOLL_CTL_MOD, c->fd, EPOLLIN, EV_KEY(index, c->gen)); c->reading = 1; }
}

static void on_header(void *ctx, reader_t *r) {
  conn_t *c = ctx;
  c->control_len = 0;
  if (r->opcode >= 8) return;
  uint8_t header[14];
  buf_append(&c->out, header, frame_header(header, r->opcode, r->fin, r->length, 0));
}

static void on_payload(void *ctx, reader_t *r, uint8_t *bytes, size_t n) {
  conn_t *c = ctx;
  unmask(r, bytes, n);
  if (r->opcode < 8) { buf_append(&c->out, bytes, n); return; }
  size_t room = sizeof c->control - (size_t)c->control_len;
  if (n > room) n = room;
  memcpy(c->control + c->control_len, bytes, n);
  c->control_len += (int)n;
}

static void on_end(void *ctx, reader_t *r) {
  conn_t *c = ctx;
  uint8_t header[14];
  if (r->opcode == 0x9) {
    buf_append(&c->out, header, frame_header(header, 0xA, 1, (uint64_t)c->control_len, 0));
    buf_append(&c->out, c->control, (size_t)c->control_len);
  } else if (r->opcode == 0x8) {
    int len = c->control_len >= 2 ? 2 : 0;
    buf_append(&c->out, header, frame_header(header, 0x8, 1, (uint64_t)len, 0));
    buf_append(&c->out, c->control, (size_t)len);
    c->closing = 1;
  }
}

static const reader_events_t events = { on_header, on_payload, on_end };

static void answer_handshake(conn_t *c, size_t head_end) {
  char *head = (char *)c->head.data;
  head[head_end - 1] = 0;
  char *key = strcasestr(head, "\r\nsec-websocket-key:");
  if (!key) {
    static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    buf_append(&c->out, ok, sizeof ok - 1);
    c->closing = 1;
    return;
  }
  key += strlen("\r\nsec-websocket-key:");
  while (*key == ' ' || *key == '\t') key++;
  size_t key_len = strcspn(key, " \t\r\n");
  char accept[32], response[256];
  accept_key(key, key_len, accept);
  int n = snprintf(response, sizeof response, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", accept);
  buf_append(&c->out, response, (size_t)n);
  c->open = 1;
}

static void on_readable(uint32_t index) {
  conn_t *c = conns[index];
  ssize_t n = read(c->fd, read_buffer, sizeof read_buffer);
  if (n <= 0) {
    if (n < 0 && errno == EAGAIN) return;
    close_conn(index);
    return;
  }
  if (!c->open) {
    buf_append(&c->head, read_buffer, (size_t)n);
    uint8_t *end = memmem(c->head.data, c->head.len, "\r\n\r\n", 4);
    if (!end) {
      if (c->head.len > MAX_HEAD_BYTES) close_conn(index);
      return;
    }
    size_t head_end = (size_t)(end - c->head.data) + 4;
    answer_handshake(c, head_end);
    if (c->open && head_end < c->head.len) reader_push(&c->reader, c->head.data + head_end, c->head.len - head_end, c, &events, conn_alive);
    buf_free(&c->head);
  } else {
    reader_push(&c->reader, read_buffer, (size_t)n, c, &events, conn_alive);
  }
  flush(index);
}

static void on_accept(int listener) {
  for (;;) {
    int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    uint32_t index = new_slot();
    conn_t *c = conns[index];
    uint32_t gen = c->gen + 1;
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->gen = gen;
    c->reading = 1;
    ep_set(ep, EPOLL_CTL_ADD, fd, EPOLLIN, EV_KEY(index, gen));
  }
}

int main(void) {
  ignore_sigpipe();
  int listener = tcp_socket();
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  if (bind(listener, (struct sockaddr *)&address, sizeof address) < 0 || listen(listener, 4096) < 0) die("listen");
  socklen_t size = sizeof address;
  getsockname(listener, (struct sockaddr *)&address, &size);
  ep = epoll_create1(EPOLL_CLOEXEC);
  ep_set(ep, EPOLL_CTL_ADD, listener, EPOLLIN, EV_KEY(SPECIAL_LISTEN, 0));
  ep_set(ep, EPOLL_CTL_ADD, 0, EPOLLIN, EV_KEY(SPECIAL_STDIN, 0));
  printf("{\"port\":%d}\n", ntohs(address.sin_port));
  fflush(stdout);
  struct epoll_event ready[512];
  for (;;) {
    int n = epoll_wait(ep, ready, 512, -1);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int i = 0; i < n; i++) {
      uint32_t index = EV_INDEX(ready[i].data.u64);
      if (index == SPECIAL_LISTEN) { on_accept(listener); continue; }
      if (index == SPECIAL_STDIN) {
        char scratch[256];
        if (read(0, scratch, sizeof scratch) <= 0) return 0;
        continue;
      }
      conn_t *c = conns[index];
      if (c->fd < 0 || c->gen != EV_GEN(ready[i].data.u64)) continue;
      if (ready[i].events & EPOLLOUT) flush(index);
      else if (ready[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(index);
    }
  }
}
