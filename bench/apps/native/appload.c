/*
 * Native load side of `npm run bench:apps`: `appload MODE key=value...`.
 *
 *   echo     `connections` clients on `path`, each keeping `window` messages in flight
 *            (closed loop), like ../../proxy/native/loadgen.c's echo mode.
 *   saturate one publisher (`pubPath`, default /pub) and `subscribers` clients (`subPath`,
 *            default /sub; the same path as the publisher's for a room keyed by path). The
 *            publisher keeps `window` publishes in flight; a publish completes when every
 *            subscriber has it. Counts deliveries (subscriber receipts) per second.
 *   latency  the same room; the publisher sends `rate` publishes/s (open loop, timerfd)
 *            and every delivery's delay is measured from the publish's scheduled time,
 *            carried in its payload (one clock: the same process sends and receives).
 *   idle     opens `connections` clients on `path` in waves; each sends one message when
 *            it opens (so a room never sees thousands at once) and waits for its echo, or
 *            with `ping=1` a Ping (answered by the server's WebSocket layer, never the app)
 *            and waits for the Pong: first data on the socket without waking the room.
 *            Prints {"ready":{...}}, holds the sockets until a line or EOF on stdin,
 *            then closes them and prints the result.
 *
 * Each mode prints {"phase":"measure"} when its measurement window opens (the
 * orchestrator reads the server's CPU time then) and {"result":{...},"cpuSeconds":N} at
 * the end. The connection code and frame reader come from the proxy benchmark.
 */
#define CLIENT_IMPLEMENTATION
#include "../../proxy/native/client.h"
#include <sys/prctl.h>
#include <sys/timerfd.h>

#define OPEN_WAVE 128
#define OPEN_TIMEOUT_MS 30000.0
#define RING 8192
#define DRAIN_MS 2000.0
#define STALL_MS 1000.0

static double arg(int argc, char **argv, const char *name, double fallback) {
  size_t len = strlen(name);
  for (int i = 2; i < argc; i++) {
    if (strncmp(argv[i], name, len) == 0 && argv[i][len] == '=') return atof(argv[i] + len + 1);
  }
  return fallback;
}

static const char *arg_text(int argc, char **argv, const char *name, const char *fallback) {
  size_t len = strlen(name);
  for (int i = 2; i < argc; i++) {
    if (strncmp(argv[i], name, len) == 0 && argv[i][len] == '=') return argv[i] + len + 1;
  }
  return fallback;
}

static const char *target_host;
static int target_port;

/* client.h builds one upgrade request for every client; rebuild it for another path. */
static void use_path(const char *path) {
  client_request_len = (size_t)snprintf(client_request, sizeof client_request,
    "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: " CLIENT_KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n", path, target_host, target_port);
}

/* Connects clients[from, to) at most OPEN_WAVE at a time (a listen backlog is finite). */
static void open_range(int from, int to) {
  int base = clients_opened + clients_failed, next = from;
  double deadline = now_ms() + OPEN_TIMEOUT_MS;
  while (clients_opened + clients_failed - base < to - from && now_ms() < deadline) {
    while (next < to && (next - from) - (clients_opened + clients_failed - base) < OPEN_WAVE) client_connect(&clients[next++]);
    clients_poll(20);
  }
}

static void phase_measure(void) {
  printf("{\"phase\":\"measure\"}\n");
  fflush(stdout);
}

/* ---- echo ---- */
static struct { int running, measuring; uint64_t messages, dropped; buf_t frame; } echo;

static void echo_end(void *ctx, reader_t *r) {
  client_t *c = ctx;
  if (r->opcode == 0x8) { client_close(c); if (echo.running) echo.dropped++; return; }
  if (!r->fin) return;
  if (echo.measuring) echo.messages++;
  if (echo.running) buf_append(&c->out, echo.frame.data, echo.frame.len);
}

static void run_echo(int argc, char **argv) {
  int connections = (int)arg(argc, argv, "connections", 16);
  int window = (int)arg(argc, argv, "window", 32);
  size_t bytes = (size_t)arg(argc, argv, "messageBytes", 64);
  double warmup = arg(argc, argv, "warmupMs", 1000), duration = arg(argc, argv, "durationMs", 4000);
  static const reader_events_t events = { NULL, NULL, echo_end };
  use_path(arg_text(argc, argv, "path", "/"));
  client_frame(&echo.frame, 0x2, bytes, 0x61);
  clients_init(connections, &events);
  open_range(0, connections);
  if (clients_opened == 0) die("no connection opened");
  echo.running = 1;
  for (int i = 0; i < client_count; i++) {
    if (clients[i].state != CLIENT_OPEN) continue;
    for (int w = 0; w < window; w++) buf_append(&clients[i].out, echo.frame.data, echo.frame.len);
    client_flush(&clients[i]);
  }
  clients_loop_until(now_ms() + warmup, NULL);
  phase_measure();
  echo.measuring = 1;
  double started = now_ms();
  clients_loop_until(started + duration, NULL);
  echo.measuring = 0;
  echo.running = 0;
  double elapsed = now_ms() - started;
  printf("{\"result\":{\"connections\":%d,\"failedConnections\":%d,\"messages\":%llu,\"elapsedMs\":%.3f,"
         "\"messagesPerSecond\":%.3f,\"droppedConnections\":%llu},\"cpuSeconds\":%.3f}\n",
         clients_opened, clients_failed, (unsigned long long)echo.messages, elapsed,
         echo.messages / (elapsed / 1000), (unsigned long long)echo.dropped, cpu_seconds());
}

/* ---- fan-out: clients[0] publishes, clients[1..] subscribe ---- */
typedef struct { uint64_t seq; double scheduled; } stamp_t;

static struct {
  int subscribers, alive, running, measuring, window, outstanding;
  uint64_t next_seq, floor_seq, deliveries, publishes_done, dropped, stalls, received_total;
  uint32_t counts[RING];
  uint8_t (*head)[16];   /* first 16 payload bytes of the frame being read, per client */
  double last_progress, start, interval, measure_start, measure_end;
  double *samples;
  size_t sample_count, sample_capacity;
  uint64_t expected;     /* deliveries due from publishes scheduled inside the window */
  int timer;
  size_t bytes;
} fan;

static void publish(uint64_t seq, double scheduled) {
  client_t *p = &clients[0];
  if (p->state != CLIENT_OPEN) return;
  uint8_t header[14], payload[256];
  size_t n = fan.bytes < sizeof payload ? fan.bytes : sizeof payload;
  memset(payload, 0x70, n);
  stamp_t stamp = { seq, scheduled };
  memcpy(payload, &stamp, sizeof stamp < n ? sizeof stamp : n);
  buf_append(&p->out, header, frame_header(header, 0x2, 1, n, 1));
  buf_append(&p->out, payload, n);
  client_flush(p);
}

static void fan_payload(void *ctx, reader_t *r, uint8_t *bytes, size_t n) {
  client_t *c = ctx;
  if (r->mask_offset >= 16) return;
  size_t take = 16 - r->mask_offset < n ? 16 - (size_t)r->mask_offset : n;
  memcpy(fan.head[c - clients] + r->mask_offset, bytes, take);
}

static void refill(void) {
  while (fan.running && fan.outstanding < fan.window) {
    fan.counts[fan.next_seq % RING] = 0;
    publish(fan.next_seq++, now_ms());
    fan.outstanding++;
  }
}

static void record_latency(double delay) {
  if (fan.sample_count < fan.sample_capacity) fan.samples[fan.sample_count++] = delay;
}

static void fan_end(void *ctx, reader_t *r) {
  client_t *c = ctx;
  int index = (int)(c - clients);
  if (r->opcode == 0x8) { client_close(c); if (index > 0) { fan.alive--; fan.dropped++; } return; }
  if (index == 0 || !r->fin || r->length < sizeof(stamp_t)) return;
  stamp_t stamp;
  memcpy(&stamp, fan.head[index], sizeof stamp);
  double now = now_ms();
  fan.received_total++;
  if (fan.interval > 0) {
    /* latency mode: open loop, only deliveries of publishes scheduled in the window count */
    if (stamp.scheduled >= fan.measure_start && stamp.scheduled < fan.measure_end) {
      fan.deliveries++;
      record_latency(now - stamp.scheduled);
    }
    return;
  }
  if (fan.measuring) fan.deliveries++;
  if (stamp.seq >= fan.next_seq || stamp.seq < fan.floor_seq || fan.next_seq - stamp.seq > RING / 2) return;
  if (++fan.counts[stamp.seq % RING] >= (uint32_t)fan.alive) {
    fan.outstanding--;
    fan.last_progress = now;
    if (fan.measuring) fan.publishes_done++;
    refill();
  }
}

static void fan_error(client_t *c, const char *why) {
  (void)why;
  if (c->state != CLIENT_OPEN) clients_failed++;
  else if (c != &clients[0]) { fan.alive--; fan.dropped++; }
  client_close(c);
}

/* A stalled window (a lost delivery) is written off so the loop keeps going. */
static void stall_check(void) {
  if (fan.running && fan.outstanding > 0 && now_ms() - fan.last_progress > STALL_MS) {
    fan.stalls++;
    fan.outstanding = 0;
    fan.floor_seq = fan.next_seq;
    fan.last_progress = now_ms();
    refill();
  }
}

static void open_room(int argc, char **argv) {
  static const reader_events_t events = { NULL, fan_payload, fan_end };
  fan.subscribers = (int)arg(argc, argv, "subscribers", 1000);
  fan.bytes = (size_t)arg(argc, argv, "messageBytes", 64);
  if (fan.bytes < sizeof(stamp_t)) fan.bytes = sizeof(stamp_t);
  client_on_error = fan_error;
  clients_init(fan.subscribers + 1, &events);
  fan.head = calloc((size_t)fan.subscribers + 1, 16);
  use_path(arg_text(argc, argv, "subPath", "/sub"));
  open_range(1, fan.subscribers + 1);
  use_path(arg_text(argc, argv, "pubPath", "/pub"));
  open_range(0, 1);
  if (clients[0].state != CLIENT_OPEN) die("publisher did not connect");
  fan.alive = clients_opened - 1;
  if (fan.alive <= 0) die("no subscriber connected");
}

static void print_room(const char *extra) {
  printf("{\"result\":{\"subscribers\":%d,\"failedConnections\":%d,\"droppedSubscribers\":%llu%s},\"cpuSeconds\":%.3f}\n",
         fan.alive, clients_failed, (unsigned long long)fan.dropped, extra, cpu_seconds());
}

static void run_saturate(int argc, char **argv) {
  double warmup = arg(argc, argv, "warmupMs", 1000), duration = arg(argc, argv, "durationMs", 4000);
  fan.window = (int)arg(argc, argv, "window", 8);
  open_room(argc, argv);
  fan.running = 1;
  fan.last_progress = now_ms();
  refill();
  clients_loop_until(now_ms() + warmup, stall_check);
  phase_measure();
  fan.measuring = 1;
  double started = now_ms();
  clients_loop_until(started + duration, stall_check);
  fan.measuring = 0;
  fan.running = 0;
  double elapsed = now_ms() - started;
  char extra[256];
  snprintf(extra, sizeof extra, ",\"deliveries\":%llu,\"elapsedMs\":%.3f,\"deliveriesPerSecond\":%.3f,\"publishesPerSecond\":%.3f,\"stalls\":%llu",
           (unsigned long long)fan.deliveries, elapsed, fan.deliveries / (elapsed / 1000),
           fan.publishes_done / (elapsed / 1000), (unsigned long long)fan.stalls);
  print_room(extra);
}

static struct { double rate; uint64_t sequence; } lat;

static void send_due(void) {
  double now = now_ms();
  double due = fan.start + (double)lat.sequence * fan.interval;
  while (due <= now && due < fan.measure_end) {
    if (due >= fan.measure_start) fan.expected += (uint64_t)fan.alive;
    publish(lat.sequence, due);
    due = fan.start + (double)++lat.sequence * fan.interval;
  }
}

static void on_timer(void) {
  uint64_t expirations;
  if (read(fan.timer, &expirations, sizeof expirations) < 0 && errno != EAGAIN) die("timerfd read");
  send_due();
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void run_latency(int argc, char **argv) {
  double warmup = arg(argc, argv, "warmupMs", 1000), duration = arg(argc, argv, "durationMs", 4000);
  lat.rate = arg(argc, argv, "rate", 50);
  open_room(argc, argv);
  fan.interval = 1000.0 / lat.rate;
  fan.sample_capacity = (size_t)(lat.rate * duration / 1000 + 2) * (size_t)fan.alive;
  fan.samples = malloc(fan.sample_capacity * sizeof(double));
  prctl(PR_SET_TIMERSLACK, 1UL);
  fan.start = now_ms() + 5;
  fan.measure_start = fan.start + warmup;
  fan.measure_end = fan.measure_start + duration;
  fan.timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  long period_ns = (long)(fan.interval * 1e6);
  struct itimerspec spec = { .it_interval = { period_ns / 1000000000L, period_ns % 1000000000L }, .it_value = { 0, 5000000 } };
  if (fan.timer < 0 || timerfd_settime(fan.timer, 0, &spec, NULL) < 0) die("timerfd");
  ep_set(client_ep, EPOLL_CTL_ADD, fan.timer, EPOLLIN, EV_KEY(SPECIAL_TIMER, 0));
  client_on_timer = on_timer;
  clients_loop_until(fan.measure_start, NULL);
  phase_measure();
  clients_loop_until(fan.measure_end, NULL);
  close(fan.timer);
  send_due();
  double deadline = now_ms() + DRAIN_MS;
  while (fan.deliveries < fan.expected && now_ms() < deadline) clients_loop_until(now_ms() + 5, NULL);
  /* Deliveries that never came count as at least as slow as the drain deadline. */
  uint64_t missing = fan.expected > fan.deliveries ? fan.expected - fan.deliveries : 0;
  double late = now_ms() - fan.measure_end;
  for (uint64_t i = 0; i < missing; i++) record_latency(late);
  size_t n = fan.sample_count;
  qsort(fan.samples, n, sizeof(double), compare);
  double sum = 0;
  for (size_t i = 0; i < n; i++) sum += fan.samples[i];
#define AT(q) (n == 0 ? 0 : fan.samples[(size_t)((q) * n) < n ? (size_t)((q) * n) : n - 1])
  char extra[512];
  snprintf(extra, sizeof extra, ",\"rate\":%.1f,\"expected\":%llu,\"deliveries\":%llu,\"missing\":%llu,\"deliveriesPerSecond\":%.3f,"
           "\"latencyMs\":{\"p50\":%.4f,\"p90\":%.4f,\"p99\":%.4f,\"p999\":%.4f,\"max\":%.4f,\"mean\":%.4f}",
           lat.rate, (unsigned long long)fan.expected, (unsigned long long)fan.deliveries, (unsigned long long)missing,
           fan.deliveries / (duration / 1000), AT(0.5), AT(0.9), AT(0.99), AT(0.999), AT(1.0), n ? sum / n : 0);
#undef AT
  print_room(extra);
}

/* ---- idle ---- */
static struct { uint64_t echoed, closed; int released; buf_t frame; } idle;

static void idle_open(client_t *c) {
  buf_append(&c->out, idle.frame.data, idle.frame.len);
  client_flush(c);
}

static void idle_end(void *ctx, reader_t *r) {
  client_t *c = ctx;
  if (r->opcode == 0x8) { client_close(c); idle.closed++; return; }
  if (r->fin && r->opcode != 0x9) idle.echoed++;
}

static void idle_stdin(void) { idle.released = 1; }

static void run_idle(int argc, char **argv) {
  int connections = (int)arg(argc, argv, "connections", 5000);
  size_t bytes = (size_t)arg(argc, argv, "messageBytes", 64);
  double wait = arg(argc, argv, "echoTimeoutMs", 20000);
  static const reader_events_t events = { NULL, NULL, idle_end };
  use_path(arg_text(argc, argv, "path", "/"));
  client_frame(&idle.frame, arg(argc, argv, "ping", 0) ? 0x9 : 0x2, bytes, 0x63);
  client_on_open = idle_open;
  clients_init(connections, &events);
  open_range(0, connections);
  double deadline = now_ms() + wait;
  while (idle.echoed + idle.closed < (uint64_t)clients_opened && now_ms() < deadline) clients_poll(50);
  printf("{\"ready\":{\"opened\":%d,\"failed\":%d,\"echoed\":%llu,\"closedByServer\":%llu}}\n",
         clients_opened, clients_failed, (unsigned long long)idle.echoed, (unsigned long long)idle.closed);
  fflush(stdout);
  /* stdin becomes readable on a line or on EOF (the orchestrator is gone): both release. */
  ep_set(client_ep, EPOLL_CTL_ADD, 0, EPOLLIN, EV_KEY(SPECIAL_TIMER, 0));
  client_on_timer = idle_stdin;
  double hold_until = now_ms() + arg(argc, argv, "holdMs", 120000);
  while (!idle.released && now_ms() < hold_until) clients_poll(1000);
  for (int i = 0; i < client_count; i++) client_close(&clients[i]);
  printf("{\"result\":{\"opened\":%d,\"echoed\":%llu,\"closedByServer\":%llu},\"cpuSeconds\":%.3f}\n",
         clients_opened, (unsigned long long)idle.echoed, (unsigned long long)idle.closed, cpu_seconds());
}

int main(int argc, char **argv) {
  ignore_sigpipe();
  if (argc < 2) { fprintf(stderr, "usage: appload echo|saturate|latency host=H port=P key=value...\n"); return 2; }
  target_host = arg_text(argc, argv, "host", "127.0.0.1");
  target_port = (int)arg(argc, argv, "port", 0);
  client_target(target_host, target_port);
  if (strcmp(argv[1], "echo") == 0) run_echo(argc, argv);
  else if (strcmp(argv[1], "saturate") == 0) run_saturate(argc, argv);
  else if (strcmp(argv[1], "latency") == 0) run_latency(argc, argv);
  else if (strcmp(argv[1], "idle") == 0) run_idle(argc, argv);
  else { printf("{\"error\":\"unknown mode %s\"}\n", argv[1]); return 2; }
  fflush(stdout);
  return 0;
}
