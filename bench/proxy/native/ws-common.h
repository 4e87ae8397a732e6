/*
 * Shared pieces of the native benchmark origin and load generator: SHA-1 and base64 for the
 * handshake (RFC 6455 §4.2.2), growable byte buffers, an incremental frame reader (RFC 6455
 * §5.2) and a table of epoll-driven connections. Header-only: each program is one cc call.
 *
 * Why C: the origin and the load generator share one core, and must stay well ahead of a
 * proxy running alone on the other core; a Node load side spends more per message than
 * nginx or HAProxy do, which would cap every proxy at the load side's speed.
 */
#define _GNU_SOURCE
/* Header-only: not every program uses every helper. */
#define UNUSED_OK __attribute__((unused))
#include <errno.h>
#include <signal.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static UNUSED_OK double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static UNUSED_OK double cpu_seconds(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

/* A peer that closed first must not kill us with SIGPIPE: write() then fails with EPIPE. */
static UNUSED_OK void ignore_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }

static UNUSED_OK void die(const char *what) {
  printf("{\"error\":\"%s: %s\"}\n", what, strerror(errno));
  fflush(stdout);
  exit(1);
}

/* ---- SHA-1 (FIPS 180-4) ---- */
#define ROL(v, n) (((v) << (n)) | ((v) >> (32 - (n))))
static UNUSED_OK void sha1_block(uint32_t h[5], const uint8_t *p) {
  uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
  for (int i = 0; i < 16; i++) w[i] = (uint32_t)p[4 * i] << 24 | p[4 * i + 1] << 16 | p[4 * i + 2] << 8 | p[4 * i + 3];
  for (int i = 16; i < 80; i++) w[i] = ROL(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
  for (int i = 0; i < 80; i++) {
    uint32_t f, k;
    if (i < 20) { f = (b & c) | (~b & d); k = 0x5A827999; }
    else if (i < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1; }
    else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDC; }
    else { f = b ^ c ^ d; k = 0xCA62C1D6; }
    uint32_t t = ROL(a, 5) + f + e + k + w[i];
    e = d; d = c; c = ROL(b, 30); b = a; a = t;
  }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
}

static UNUSED_OK void sha1(const uint8_t *data, size_t len, uint8_t out[20]) {
  uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  uint8_t block[64];
  size_t i = 0;
  for (; i + 64 <= len; i += 64) sha1_block(h, data + i);
  size_t rest = len - i;
  memset(block, 0, 64);
  memcpy(block, data + i, rest);
  block[rest] = 0x80;
  if (rest >= 56) { sha1_block(h, block); memset(block, 0, 64); }
  uint64_t bits = (uint64_t)len * 8;
  for (int j = 0; j < 8; j++) block[63 - j] = (uint8_t)(bits >> (8 * j));
  sha1_block(h, block);
  for (int j = 0; j < 20; j++) out[j] = (uint8_t)(h[j / 4] >> (24 - 8 * (j % 4)));
}

static UNUSED_OK void base64(const uint8_t *in, size_t len, char *out) {
  static const char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t o = 0;
  for (size_t i = 0; i < len; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? in[i + 1] << 8 : 0) | (i + 2 < len ? in[i + 2] : 0);
    out[o++] = table[(v >> 18) & 63];
    out[o++] = table[(v >> 12) & 63];
    out[o++] = i + 1 < len ? table[(v >> 6) & 63] : '=';
    out[o++] = i + 2 < len ? table[v & 63] : '=';
  }
  out[o] = 0;
}

/* RFC 6455 §1.3: accept = base64(sha1(key + GUID)). `out` needs 29 bytes. */
static UNUSED_OK void accept_key(const char *key, size_t key_len, char *out) {
  static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  uint8_t joined[128], digest[20];
  if (key_len > sizeof joined - sizeof guid) key_len = sizeof joined - sizeof guid;
  memcpy(joined, key, key_len);
  memcpy(joined + key_len, guid, sizeof guid - 1);
  sha1(joined, key_len + sizeof guid - 1, digest);
  base64(digest, 20, out);
}

/* ---- byte buffers: data[off, len) is pending ---- */
typedef struct { uint8_t *data; size_t off, len, cap; } buf_t;

static UNUSED_OK void buf_append(buf_t *b, const void *bytes, size_t n) {
  if (b->off == b->len) b->off = b->len = 0;
  if (b->len + n > b->cap) {
    if (b->off > 0) { memmove(b->data, b->data + b->off, b->len - b->off); b->len -= b->off; b->off = 0; }
    size_t cap = b->cap ? b->cap : 256;
    while (b->len + n > cap) cap *= 2;
    if (cap != b->cap) { b->data = realloc(b->data, cap); if (!b->data) die("realloc"); b->cap = cap; }
  }
  memcpy(b->data + b->len, bytes, n);
  b->len += n;
}

static UNUSED_OK size_t buf_pending(const buf_t *b) { return b->len - b->off; }
static UNUSED_OK void buf_free(buf_t *b) { free(b->data); memset(b, 0, sizeof *b); }

/* Writes a FIN (or not) frame header; masked headers carry the all-zero key. Returns its size. */
static UNUSED_OK size_t frame_header(uint8_t *out, int opcode, int fin, uint64_t length, int masked) {
  size_t at;
  out[0] = (uint8_t)((fin ? 0x80 : 0) | opcode);
  uint8_t mask_bit = masked ? 0x80 : 0;
  if (length < 126) { out[1] = mask_bit | (uint8_t)length; at = 2; }
  else if (length < 65536) { out[1] = mask_bit | 126; out[2] = (uint8_t)(length >> 8); out[3] = (uint8_t)length; at = 4; }
  else { out[1] = mask_bit | 127; for (int i = 0; i < 8; i++) out[2 + i] = (uint8_t)(length >> (56 - 8 * i)); at = 10; }
  if (masked) { memset(out + at, 0, 4); at += 4; }
  return at;
}

/* ---- incremental frame reader ---- */
typedef struct {
  uint8_t header[14];
  int have, in_payload, opcode, fin;
  uint8_t mask[4];
  int masked;
  uint64_t length, remaining, mask_offset;
} reader_t;

typedef struct {
  void (*on_header)(void *ctx, reader_t *r);
  void (*on_payload)(void *ctx, reader_t *r, uint8_t *bytes, size_t n);
  void (*on_end)(void *ctx, reader_t *r);
} reader_events_t;

/* Returns 0, or -1 when a callback asked to stop (ctx closed). */
static UNUSED_OK int reader_push(reader_t *r, uint8_t *p, size_t n, void *ctx, const reader_events_t *ev, int (*alive)(void *ctx)) {
  size_t at = 0;
  while (at < n) {
    if (r->in_payload) {
      size_t take = r->remaining < n - at ? (size_t)r->remaining : n - at;
      if (ev->on_payload) ev->on_payload(ctx, r, p + at, take);
      at += take;
      r->remaining -= take;
      r->mask_offset += take;
      if (r->remaining == 0) { r->in_payload = 0; ev->on_end(ctx, r); if (!alive(ctx)) return -1; }
      continue;
    }
    while (at < n && r->have < 2) r->header[r->have++] = p[at++];
    if (r->have < 2) return 0;
    int len7 = r->header[1] & 0x7f;
    int masked = (r->header[1] & 0x80) != 0;
    int needed = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (masked ? 4 : 0);
    while (at < n && r->have < needed) r->header[r->have++] = p[at++];
    if (r->have < needed) return 0;
    uint64_t length = len7;
    int cursor = 2;
    if (len7 == 126) { length = (uint64_t)r->header[2] << 8 | r->header[3]; cursor = 4; }
    else if (len7 == 127) { length = 0; for (int i = 0; i < 8; i++) length = length << 8 | r->header[2 + i]; cursor = 10; }
    r->masked = masked;
    if (masked) memcpy(r->mask, r->header + cursor, 4);
    r->opcode = r->header[0] & 0x0f;
    r->fin = (r->header[0] & 0x80) != 0;
    r->length = r->remaining = length;
    r->mask_offset = 0;
    r->have = 0;
    if (ev->on_header) ev->on_header(ctx, r);
    if (length == 0) { ev->on_end(ctx, r); if (!alive(ctx)) return -1; }
    else r->in_payload = 1;
  }
  return 0;
}

static UNUSED_OK void unmask(reader_t *r, uint8_t *p, size_t n) {
  if (!r->masked || (r->mask[0] | r->mask[1] | r->mask[2] | r->mask[3]) == 0) return;
  for (size_t i = 0; i < n; i++) p[i] ^= r->mask[(r->mask_offset + i) & 3];
}

/* ---- sockets ---- */
static UNUSED_OK int tcp_socket(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

/* epoll data: slot index in the low 32 bits, generation in the high 32 (stale events are ignored). */
#define EV_KEY(index, gen) (((uint64_t)(gen) << 32) | (uint32_t)(index))
#define EV_INDEX(key) ((uint32_t)(key))
#define EV_GEN(key) ((uint32_t)((key) >> 32))
#define SPECIAL_TIMER 0xFFFFFFF0u
#define SPECIAL_STDIN 0xFFFFFFF1u
#define SPECIAL_LISTEN 0xFFFFFFF2u

static UNUSED_OK void ep_set(int ep, int op, int fd, uint32_t events, uint64_t key) {
  struct epoll_event e = { .events = events, .data.u64 = key };
  if (epoll_ctl(ep, op, fd, &e) < 0 && op != EPOLL_CTL_DEL) die("epoll_ctl");
}

#define READ_BUFFER_BYTES (256 * 1024)
static UNUSED_OK uint8_t read_buffer[READ_BUFFER_BYTES];
