/*
 * Native load generator: `loadgen MODE key=value...`, MODE one of echo, latency, handshakes
 * (same workloads and the same JSON result shapes as the Node modes in ../echo-loop.ts,
 * ../latency.ts and ../handshakes.ts). Prints {"result":{...},"cpuSeconds":N}.
 */
#define CLIENT_IMPLEMENTATION
#include "client.h"

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

/* ---- echo: every connection keeps `window` messages in flight ---- */
static struct { int running, measuring; uint64_t messages, bytes, dropped; buf_t frame; } echo;

static void echo_end(void *ctx, reader_t *r) {
  client_t *c = ctx;
  if (r->opcode == 0x8) { client_close(c); if (echo.running) echo.dropped++; return; }
  if (echo.measuring) echo.bytes += r->length;
  if (!r->fin) return;
  if (echo.measuring) echo.messages++;
  if (echo.running) buf_append(&c->out, echo.frame.data, echo.frame.len);
}

static void run_echo(int argc, char **argv) {
  int connections = (int)arg(argc, argv, "connections", 100);
  size_t message_bytes = (size_t)arg(argc, argv, "messageBytes", 64);
  int window = (int)arg(argc, argv, "window", 1);
  double warmup = arg(argc, argv, "warmupMs", 1000), duration = arg(argc, argv, "durationMs", 5000);
  client_frame(&echo.frame, 0x2, message_bytes, 0x61);
  static const reader_events_t events = { NULL, NULL, echo_end };
  int failed = clients_open(connections, &events, 20000);
  if (clients_opened == 0) die("no connection opened");
  echo.running = 1;
  for (int i = 0; i < client_count; i++) {
    if (clients[i].state != CLIENT_OPEN) continue;
    for (int w = 0; w < window; w++) buf_append(&clients[i].out, echo.frame.data, echo.frame.len);
    client_flush(&clients[i]);
  }
  clients_loop_until(now_ms() + warmup, NULL);
  echo.measuring = 1;
  double started = now_ms();
  clients_loop_until(started + duration, NULL);
  echo.measuring = 0;
  echo.running = 0;
  double elapsed = now_ms() - started;
  printf("{\"result\":{\"connections\":%d,\"failedConnections\":%d,\"messages\":%llu,\"payloadBytes\":%llu,\"elapsedMs\":%.3f,"
         "\"messagesPerSecond\":%.3f,\"megabytesPerSecond\":%.3f,\"droppedConnections\":%llu},\"cpuSeconds\":%.3f}\n",
         clients_opened, failed, (unsigned long long)echo.messages, (unsigned long long)echo.bytes, elapsed,
         echo.messages / (elapsed / 1000), echo.bytes / 1e6 / (elapsed / 1000), (unsigned long long)echo.dropped, cpu_seconds());
}

/* ---- handshakes: connect, upgrade, close frame each way, TCP close; repeat ---- */
static struct { int running, measuring; uint64_t completed, errors; char first_error[96]; double timeout; } hs;
static buf_t close_frame;
static const reader_events_t hs_events;

static void hs_restart(client_t *c) {
  if (hs.running && hs.errors < 2000) client_connect(c);
}

static void hs_fail(client_t *c, const char *why) {
  hs.errors++;
  if (!hs.first_error[0]) snprintf(hs.first_error, sizeof hs.first_error, "%s", why);
  client_close(c);
  hs_restart(c);
}

static void hs_end(void *ctx, reader_t *r) {
  client_t *c = ctx;
  if (r->opcode != 0x8) return;
  client_close(c);
  if (hs.measuring) hs.completed++;
  hs_restart(c);
}

static const reader_events_t hs_events = { NULL, NULL, hs_end };

static void hs_on_open(client_t *c) {
  buf_append(&c->out, close_frame.data, close_frame.len);
  client_flush(c);
}

static void hs_tick(void) {
  double now = now_ms();
  for (int i = 0; i < client_count; i++) {
    if (clients[i].fd >= 0 && now - clients[i].started > hs.timeout) hs_fail(&clients[i], "attempt timed out");
  }
}

static void run_handshakes(int argc, char **argv) {
  int workers = (int)arg(argc, argv, "workers", 50);
  double warmup = arg(argc, argv, "warmupMs", 1000), duration = arg(argc, argv, "durationMs", 5000);
  hs.timeout = arg(argc, argv, "attemptTimeoutMs", 5000);
  uint8_t payload[2] = { 0x03, 0xE8 }; /* 1000, normal closure */
  uint8_t header[14];
  buf_append(&close_frame, header, frame_header(header, 0x8, 1, 2, 1));
  buf_append(&close_frame, payload, 2);
  clients_init(workers, &hs_events);
  client_on_open = hs_on_open;
  client_on_error = hs_fail;
  hs.running = 1;
  for (int i = 0; i < workers; i++) client_connect(&clients[i]);
  clients_loop_until(now_ms() + warmup, hs_tick);
  hs.measuring = 1;
  double started = now_ms();
  clients_loop_until(started + duration, hs_tick);
  hs.measuring = 0;
  hs.running = 0;
  double elapsed = now_ms() - started;
  for (int i = 0; i < workers; i++) client_close(&clients[i]);
  printf("{\"result\":{\"workers\":%d,\"completed\":%llu,\"errors\":%llu,\"firstError\":%s%s%s,\"elapsedMs\":%.3f,\"handshakesPerSecond\":%.3f},\"cpuSeconds\":%.3f}\n",
         workers, (unsigned long long)hs.completed, (unsigned long long)hs.errors,
         hs.first_error[0] ? "\"" : "", hs.first_error[0] ? hs.first_error : "null", hs.first_error[0] ? "\"" : "",
         elapsed, hs.completed / (elapsed / 1000), cpu_seconds());
}

void run_latency(int argc, char **argv, double (*arg)(int, char **, const char *, double));

int main(int argc, char **argv) {
  ignore_sigpipe();
  if (argc < 2) { fprintf(stderr, "usage: loadgen echo|latency|handshakes host=H port=P key=value...\n"); return 2; }
  client_target(arg_text(argc, argv, "host", "127.0.0.1"), (int)arg(argc, argv, "port", 0));
  if (strcmp(argv[1], "echo") == 0) run_echo(argc, argv);
  else if (strcmp(argv[1], "handshakes") == 0) run_handshakes(argc, argv);
  else if (strcmp(argv[1], "latency") == 0) run_latency(argc, argv, arg);
  else { printf("{\"error\":\"unknown mode %s\"}\n", argv[1]); return 2; }
  fflush(stdout);
  return 0;
}
