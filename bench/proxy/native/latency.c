/*
 * Native open-loop latency mode (see ../latency.ts for the method): message k is scheduled
 * at start + k/rate on connection k mod N and latency is measured from that scheduled time.
 * A timerfd with 1 ns timer slack wakes the loop every 1/rate, so sends are not held back
 * to millisecond ticks and the core is never spun.
 */
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include "client.h"

#define QUEUE_CAPACITY 1024
#define DRAIN_MS 2000.0

static struct {
  double start, interval, measure_start, measure_end;
  uint64_t sequence, overflowed, answered;
  double *from_scheduled, *from_sent;
  size_t samples, capacity;
  buf_t frame;
  int timer;
} lat;

static void record(double scheduled, double sent, double now) {
  if (scheduled < lat.measure_start || scheduled >= lat.measure_end || lat.samples >= lat.capacity) return;
  lat.from_scheduled[lat.samples] = now - scheduled;
  lat.from_sent[lat.samples++] = now - sent;
}

static void on_end(void *ctx, reader_t *r) {
  client_t *c = ctx;
  if (r->opcode == 0x8) { client_close(c); return; }
  if (!r->fin || c->queue_size == 0) return;
  double now = now_ms(), scheduled = c->scheduled[c->queue_head];
  if (scheduled >= lat.measure_start && scheduled < lat.measure_end) lat.answered++;
  record(scheduled, c->sent[c->queue_head], now);
  c->queue_head = (c->queue_head + 1) % QUEUE_CAPACITY;
  c->queue_size--;
}

static void send_due(void) {
  double now = now_ms();
  double due = lat.start + (double)lat.sequence * lat.interval;
  while (due <= now && due < lat.measure_end) {
    client_t *c = &clients[lat.sequence % (uint64_t)client_count];
    if (c->queue_size == QUEUE_CAPACITY || c->state != CLIENT_OPEN) {
      lat.overflowed++;
    } else {
      int slot = (c->queue_head + c->queue_size) % QUEUE_CAPACITY;
      c->scheduled[slot] = due;
      c->sent[slot] = now;
      c->queue_size++;
      buf_append(&c->out, lat.frame.data, lat.frame.len);
      client_flush(c);
    }
    due = lat.start + (double)++lat.sequence * lat.interval;
  }
}

static void on_timer(void) {
  uint64_t expirations;
  if (read(lat.timer, &expirations, sizeof expirations) < 0 && errno != EAGAIN) die("timerfd read");
  send_due();
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void print_percentiles(const char *name, double *values, size_t n) {
  qsort(values, n, sizeof *values, compare);
  double sum = 0;
  for (size_t i = 0; i < n; i++) sum += values[i];
#define AT(q) (n == 0 ? 0 : values[(size_t)((q) * n) < n ? (size_t)((q) * n) : n - 1])
  printf("\"%s\":{\"p50\":%.4f,\"p90\":%.4f,\"p99\":%.4f,\"p999\":%.4f,\"max\":%.4f,\"mean\":%.4f}",
         name, AT(0.5), AT(0.9), AT(0.99), AT(0.999), AT(1.0), n ? sum / n : 0);
#undef AT
}

static size_t outstanding(void) {
  size_t total = 0;
  for (int i = 0; i < client_count; i++) total += (size_t)clients[i].queue_size;
  return total;
}

void run_latency(int argc, char **argv, double (*arg)(int, char **, const char *, double)) {
  int connections = (int)arg(argc, argv, "connections", 100);
  double rate = arg(argc, argv, "rate", 10000);
  size_t message_bytes = (size_t)arg(argc, argv, "messageBytes", 64);
  double warmup = arg(argc, argv, "warmupMs", 1000), duration = arg(argc, argv, "durationMs", 5000);
  static const reader_events_t events = { NULL, NULL, on_end };
  client_frame(&lat.frame, 0x2, message_bytes, 0x62);
  int failed = clients_open(connections, &events, 20000);
  if (clients_opened == 0) die("no connection opened");
  for (int i = 0; i < client_count; i++) {
    clients[i].scheduled = calloc(QUEUE_CAPACITY, sizeof(double));
    clients[i].sent = calloc(QUEUE_CAPACITY, sizeof(double));
  }
  lat.capacity = (size_t)(rate * duration / 1000 * 1.05) + 16;
  lat.from_scheduled = malloc(lat.capacity * sizeof(double));
  lat.from_sent = malloc(lat.capacity * sizeof(double));

  prctl(PR_SET_TIMERSLACK, 1UL);
  lat.interval = 1000.0 / rate;
  lat.start = now_ms() + 5;
  lat.measure_start = lat.start + warmup;
  lat.measure_end = lat.measure_start + duration;
  lat.timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  long period_ns = (long)(lat.interval * 1e6);
  if (period_ns < 20000) period_ns = 20000;
  struct itimerspec spec = { .it_interval = { period_ns / 1000000000L, period_ns % 1000000000L }, .it_value = { 0, 5000000 } };
  if (lat.timer < 0 || timerfd_settime(lat.timer, 0, &spec, NULL) < 0) die("timerfd");
  ep_set(client_ep, EPOLL_CTL_ADD, lat.timer, EPOLLIN, EV_KEY(SPECIAL_TIMER, 0));
  client_on_timer = on_timer;
  clients_loop_until(lat.measure_end, NULL);
  close(lat.timer);
  send_due();

  double deadline = now_ms() + DRAIN_MS;
  while (outstanding() > 0 && now_ms() < deadline) clients_loop_until(now_ms() + 5, NULL);
  size_t unanswered = outstanding();
  /* Unanswered messages count as at least as slow as the drain deadline. */
  double drained_at = now_ms();
  for (int i = 0; i < client_count; i++) {
    client_t *c = &clients[i];
    for (int k = 0; k < c->queue_size; k++) {
      int slot = (c->queue_head + k) % QUEUE_CAPACITY;
      record(c->scheduled[slot], c->sent[slot], drained_at);
    }
  }
  double cpu = cpu_seconds();
  printf("{\"result\":{\"connections\":%d,\"failedConnections\":%d,\"offeredRate\":%.0f,\"achievedRate\":%.3f,\"samples\":%zu,",
         clients_opened, failed, rate, lat.answered / (duration / 1000), lat.samples);
  print_percentiles("fromScheduled", lat.from_scheduled, lat.samples);
  printf(",");
  print_percentiles("fromSent", lat.from_sent, lat.samples);
  printf(",\"overflowed\":%llu,\"unanswered\":%zu},\"cpuSeconds\":%.3f}\n", (unsigned long long)lat.overflowed, unanswered, cpu);
}
