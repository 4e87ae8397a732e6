/*
 * The native load generator's WebSocket clients: a fixed table of epoll-driven connections,
 * each connect → pre-built upgrade request → 101 check → frames through reader_push.
 * Included by loadgen.c and latency.c (static storage lives in loadgen.c's translation unit
 * via CLIENT_IMPLEMENTATION; latency.c sees the declarations).
 */
#ifndef CLIENT_H
#define CLIENT_H
#include "ws-common.h"

enum { CLIENT_CLOSED, CLIENT_CONNECTING, CLIENT_HEAD, CLIENT_OPEN };

typedef struct client {
  int fd, state, writing;
  uint32_t gen;
  buf_t head, out;
  reader_t reader;
  double started;
  /* latency mode: FIFO of scheduled and actual send times */
  double *scheduled, *sent;
  int queue_head, queue_size;
} client_t;

/* RFC 6455 §1.3 sample key and its accept value: every bench connection uses them. */
#define CLIENT_KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define CLIENT_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

extern client_t *clients;
extern int client_count, clients_opened, clients_failed, client_ep;
extern void (*client_on_open)(client_t *c);
extern void (*client_on_error)(client_t *c, const char *why);
extern void (*client_on_timer)(void);

void client_target(const char *host, int port);
void clients_init(int count, const reader_events_t *events);
void client_connect(client_t *c);
void client_close(client_t *c);
void client_flush(client_t *c);
void client_frame(buf_t *frame, int opcode, size_t payload_bytes, uint8_t fill);
int clients_open(int count, const reader_events_t *events, double timeout_ms);
void clients_loop_until(double deadline, void (*tick)(void));

#ifdef CLIENT_IMPLEMENTATION
client_t *clients;
int client_count, clients_opened, clients_failed, client_ep = -1;
void (*client_on_open)(client_t *c);
void (*client_on_error)(client_t *c, const char *why);
void (*client_on_timer)(void);
static struct sockaddr_in client_address;
static char client_request[512];
static size_t client_request_len;
static const reader_events_t *client_events;

void client_target(const char *host, int port) {
  client_address.sin_family = AF_INET;
  client_address.sin_port = htons((uint16_t)port);
  inet_pton(AF_INET, host, &client_address.sin_addr);
  client_request_len = (size_t)snprintf(client_request, sizeof client_request,
    "GET / HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: " CLIENT_KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n", host, port);
}

/* A complete single-frame client message, masked with the all-zero key (see ../ws-wire.ts). */
void client_frame(buf_t *frame, int opcode, size_t payload_bytes, uint8_t fill) {
  uint8_t header[14];
  buf_append(frame, header, frame_header(header, opcode, 1, payload_bytes, 1));
  uint8_t *payload = malloc(payload_bytes ? payload_bytes : 1);
  memset(payload, fill, payload_bytes);
  buf_append(frame, payload, payload_bytes);
  free(payload);
}

static int client_alive(void *ctx) { return ((client_t *)ctx)->state == CLIENT_OPEN; }

static void default_error(client_t *c, const char *why) {
  (void)why;
  if (c->state != CLIENT_OPEN) clients_failed++;
  client_close(c);
}

void clients_init(int count, const reader_events_t *events) {
  clients = calloc((size_t)count, sizeof(client_t));
  client_count = count;
  client_events = events;
  for (int i = 0; i < count; i++) clients[i].fd = -1;
  if (!client_on_error) client_on_error = default_error;
  client_ep = epoll_create1(EPOLL_CLOEXEC);
}

static uint64_t key_of(client_t *c) { return EV_KEY((uint32_t)(c - clients), c->gen); }

void client_close(client_t *c) {
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
  c->state = CLIENT_CLOSED;
  c->head.off = c->head.len = 0;
  c->out.off = c->out.len = 0;
}

void client_connect(client_t *c) {
  c->gen++;
  c->fd = tcp_socket();
  c->started = now_ms();
  memset(&c->reader, 0, sizeof c->reader);
  c->head.off = c->head.len = 0;
  c->out.off = c->out.len = 0;
  if (c->fd < 0) { client_on_error(c, "socket() failed"); return; }
  c->state = CLIENT_CONNECTING;
  c->writing = 1;
  if (connect(c->fd, (struct sockaddr *)&client_address, sizeof client_address) < 0 && errno != EINPROGRESS) {
    client_on_error(c, strerror(errno));
    return;
  }
  ep_set(client_ep, EPOLL_CTL_ADD, c->fd, EPOLLOUT, key_of(c));
}

void client_flush(client_t *c) {
  while (buf_pending(&c->out) > 0) {
    ssize_t n = write(c->fd, c->out.data + c->out.off, buf_pending(&c->out));
    if (n > 0) { c->out.off += (size_t)n; continue; }
    if (n < 0 && errno == EAGAIN) {
      if (!c->writing) { ep_set(client_ep, EPOLL_CTL_MOD, c->fd, EPOLLIN | EPOLLOUT, key_of(c)); c->writing = 1; }
      return;
    }
    client_on_error(c, "write failed");
    return;
  }
  if (c->writing) { ep_set(client_ep, EPOLL_CTL_MOD, c->fd, EPOLLIN, key_of(c)); c->writing = 0; }
}

static void on_connected(client_t *c) {
  int error = 0;
  socklen_t size = sizeof error;
  getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &size);
  if (error) { client_on_error(c, strerror(error)); return; }
  c->state = CLIENT_HEAD;
  buf_append(&c->out, client_request, client_request_len);
  client_flush(c);
}

static void on_head(client_t *c, size_t n) {
  buf_append(&c->head, read_buffer, n);
  uint8_t *end = memmem(c->head.data, c->head.len, "\r\n\r\n", 4);
  if (!end) return;
  size_t head_end = (size_t)(end - c->head.data) + 4;
  if (c->head.len < 12 || memcmp(c->head.data, "HTTP/1.1 101", 12) != 0 || !memmem(c->head.data, head_end, CLIENT_ACCEPT, strlen(CLIENT_ACCEPT))) {
    char why[96];
    size_t line = strcspn((char *)c->head.data, "\r");
    if (line > 60) line = 60;
    snprintf(why, sizeof why, "upgrade refused: %.*s", (int)line, (char *)c->head.data);
    client_on_error(c, why);
    return;
  }
  c->state = CLIENT_OPEN;
  clients_opened++;
  if (client_on_open) client_on_open(c);
  if (c->state == CLIENT_OPEN && head_end < c->head.len) {
    memcpy(read_buffer, c->head.data + head_end, c->head.len - head_end);
    reader_push(&c->reader, read_buffer, c->head.len - head_end, c, client_events, client_alive);
  }
  c->head.off = c->head.len = 0;
}

static void on_event(client_t *c, uint32_t events) {
  if (c->state == CLIENT_CONNECTING) { on_connected(c); return; }
  uint32_t gen = c->gen;
  if ((events & EPOLLOUT) && c->writing) client_flush(c);
  if (c->state == CLIENT_CLOSED || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
  ssize_t n = read(c->fd, read_buffer, sizeof read_buffer);
  if (n < 0 && errno == EAGAIN) return;
  if (n <= 0) { client_on_error(c, n == 0 ? "closed by peer" : strerror(errno)); return; }
  if (c->state == CLIENT_HEAD) on_head(c, (size_t)n);
  else reader_push(&c->reader, read_buffer, (size_t)n, c, client_events, client_alive);
  /* A callback may have closed or even reconnected this slot (handshake loop). */
  if (c->gen == gen && c->state >= CLIENT_HEAD) client_flush(c);
}

static void clients_poll(int timeout_ms) {
  struct epoll_event ready[512];
  int n = epoll_wait(client_ep, ready, 512, timeout_ms);
  if (n < 0 && errno != EINTR) die("epoll_wait");
  for (int i = 0; i < n; i++) {
    uint32_t index = EV_INDEX(ready[i].data.u64);
    if (index == SPECIAL_TIMER) { if (client_on_timer) client_on_timer(); continue; }
    client_t *c = &clients[index];
    if (c->fd < 0 || c->gen != EV_GEN(ready[i].data.u64)) continue;
    on_event(c, ready[i].events);
  }
}

void clients_loop_until(double deadline, void (*tick)(void)) {
  double last_tick = now_ms();
  for (double now = now_ms(); now < deadline; now = now_ms()) {
    int wait = (int)(deadline - now) + 1;
    if (tick && wait > 100) wait = 100;
    clients_poll(wait);
    if (tick && now_ms() - last_tick >= 100) { tick(); last_tick = now_ms(); }
  }
}

/* Opens `count` clients at once; returns how many failed. */
int clients_open(int count, const reader_events_t *events, double timeout_ms) {
  clients_init(count, events);
  for (int i = 0; i < count; i++) client_connect(&clients[i]);
  double deadline = now_ms() + timeout_ms;
  while (clients_opened + clients_failed < count && now_ms() < deadline) clients_poll(50);
  return count - clients_opened;
}
#endif
#endif
