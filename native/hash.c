/*
 * logseal native hashing: the batch functions of src/merkle/batch.ts in C, as a Node-API
 * addon (ABI-stable across Node versions, so one build serves every Node ≥ 20).
 *
 *     leaf hash = SHA-256(0x00 || entry)      RFC 6962 §2.1
 *     node hash = SHA-256(0x01 || l || r)     RFC 6962 §2.1
 *
 * Exports (each mirrors the TypeScript function of the same name, which validates first):
 *     bundleLeafHashes(bundle: Uint8Array, count: number): Uint8Array | null
 *     hashPairs(hashes: Uint8Array): Uint8Array
 *     perfectRoot(hashes: Uint8Array): Uint8Array
 *     implementation: "sha-ni" | "portable"
 *     setImplementation(name: "sha-ni" | "portable"): boolean   (tests and benchmarks only)
 *     releaseMemory(tablesUnder?: string, trim?: boolean): Promise<{ trimmed, pagedOut }>
 *         (not hashing, but the one native module logseal has: see the section at the end)
 *
 * SHA-256 is our own: x86 SHA extensions (SHA-NI) when CPUID reports them, else portable C.
 * (measured) Node's own OpenSSL, linked through the symbols the node binary exports, was no
 * faster than the SHA-NI code here on one message at a time (SHA256_Init/Update/Final 4.06M
 * 300-byte leaves/s and 9.0M node hashes/s, EVP with a pre-fetched MD slower still, against
 * 4.12M and 10.4M), and cannot interleave two messages, which is where the gain is (below).
 * Those symbols are also outside Node-API's ABI promise, so the addon does not use them.
 *
 * Inputs are read in place from the Uint8Array's buffer; outputs are fresh ArrayBuffers. The
 * bundle is attacker-controlled: every length is checked against the end before anything is
 * read or allocated, and a malformed bundle returns null.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#if defined(__linux__)
#include <sys/mman.h>
#endif

#define HASH_SIZE 32

/* ---- SHA-256 (FIPS 180-4) ------------------------------------------------------------- */

/* FIPS 180-4 §4.2.2 */
static const uint32_t K[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

/* FIPS 180-4 §5.3.3 */
static const uint32_t IV[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

/*
 * The padded message prefix || data (FIPS 180-4 §5.1.1) as a sequence of 64-byte blocks,
 * without copying the data: a head block (prefix and the first 63 data bytes) when the message
 * does not fit in two blocks, then the full blocks that follow, read in place, then one or two
 * tail blocks holding the rest, the 0x80 byte, zeros and the bit length.
 */
typedef struct {
  uint8_t head[64];
  uint8_t tail[128];
  const uint8_t *mid;
  size_t nmid, nblocks;
  int has_head;
} message;

static void message_init(message *m, uint8_t prefix, const uint8_t *d, size_t len) {
  const uint64_t bits = ((uint64_t)len + 1) * 8;
  const uint8_t *rest;
  size_t nrest, fill;
  if (len + 1 <= sizeof m->tail - 9) {
    m->has_head = 0;
    m->mid = d;
    m->nmid = 0;
    m->tail[0] = prefix;
    fill = 1;
    rest = d;
    nrest = len;
  } else {
    m->has_head = 1;
    m->head[0] = prefix;
    memcpy(m->head + 1, d, 63);
    m->mid = d + 63;
    m->nmid = (len - 63) / 64;
    rest = m->mid + 64 * m->nmid;
    nrest = len - 63 - 64 * m->nmid;
    fill = 0;
  }
  if (nrest > 0) memcpy(m->tail + fill, rest, nrest);
  fill += nrest;
  m->tail[fill++] = 0x80;
  const size_t ntail = fill + 8 <= 64 ? 1 : 2;
  memset(m->tail + fill, 0, ntail * 64 - 8 - fill);
  for (int i = 0; i < 8; i++) m->tail[ntail * 64 - 1 - i] = (uint8_t)(bits >> (8 * i));
  m->nblocks = (size_t)m->has_head + m->nmid + ntail;
}

static inline const uint8_t *message_block(const message *m, size_t k) {
  if (m->has_head) {
    if (k == 0) return m->head;
    k--;
  }
  if (k < m->nmid) return m->mid + 64 * k;
  return m->tail + 64 * (k - m->nmid);
}

/* out = SHA-256(prefix || d[0..len)) */
typedef void (*hash1_fn)(uint8_t prefix, const uint8_t *d, size_t len, uint8_t *out);
/* Two independent hashes with the same prefix. A message of at most 118 bytes (a node hash) is
 * copied in before anything is written out, so its output may overlap its input. */
typedef void (*hash2_fn)(uint8_t prefix, const uint8_t *a, size_t alen, const uint8_t *b,
                         size_t blen, uint8_t *out_a, uint8_t *out_b);

/* -- portable C -- */

static inline uint32_t load_be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

/* FIPS 180-4 §6.2.2 */
static void portable_block(uint32_t st[8], const uint8_t *p) {
  uint32_t w[64];
  for (int t = 0; t < 16; t++) w[t] = load_be32(p + 4 * t);
  for (int t = 16; t < 64; t++) {
    const uint32_t s0 = ROTR(w[t - 15], 7) ^ ROTR(w[t - 15], 18) ^ (w[t - 15] >> 3);
    const uint32_t s1 = ROTR(w[t - 2], 17) ^ ROTR(w[t - 2], 19) ^ (w[t - 2] >> 10);
    w[t] = w[t - 16] + s0 + w[t - 7] + s1;
  }
  uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
  uint32_t e = st[4], f = st[5], g = st[6], h = st[7];
  for (int t = 0; t < 64; t++) {
    const uint32_t t1 =
        h + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t];
    const uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  st[0] += a;
  st[1] += b;
  st[2] += c;
  st[3] += d;
  st[4] += e;
  st[5] += f;
  st[6] += g;
  st[7] += h;
}

static void portable_hash1(uint8_t prefix, const uint8_t *d, size_t len, uint8_t *out) {
  message m;
  uint32_t st[8];
  message_init(&m, prefix, d, len);
  memcpy(st, IV, sizeof st);
  for (size_t k = 0; k < m.nblocks; k++) portable_block(st, message_block(&m, k));
  for (int i = 0; i < 8; i++) {
    out[4 * i] = (uint8_t)(st[i] >> 24);
    out[4 * i + 1] = (uint8_t)(st[i] >> 16);
    out[4 * i + 2] = (uint8_t)(st[i] >> 8);
    out[4 * i + 3] = (uint8_t)st[i];
  }
}

static void portable_hash2(uint8_t prefix, const uint8_t *a, size_t alen, const uint8_t *b,
                           size_t blen, uint8_t *out_a, uint8_t *out_b) {
  uint8_t ha[HASH_SIZE];
  portable_hash1(prefix, a, alen, ha);
  portable_hash1(prefix, b, blen, out_b);
  memcpy(out_a, ha, HASH_SIZE);
}

/* -- x86 SHA extensions -- */

#if defined(__x86_64__) || defined(__i386__)
#define HAVE_SHA_NI 1
#include <cpuid.h>
#include <immintrin.h>

#define NI_TARGET __attribute__((target("sha,sse4.1,ssse3")))
#define NI_INLINE NI_TARGET __attribute__((always_inline)) static inline
#define NI_BSWAP _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL)

/* The state lives in two registers, s0 = ABEF and s1 = CDGH (lane 0 first: F E B A, H G D C);
 * the message schedule is a ring of four 4-word groups, W[4j..4j+3] = m[j mod 4]. */
#define NI_IV0 _mm_set_epi32(0x6a09e667, (int)0xbb67ae85, 0x510e527f, (int)0x9b05688c)
#define NI_IV1 _mm_set_epi32(0x3c6ef372, (int)0xa54ff53a, 0x1f83d9ab, 0x5be0cd19)

/* Rounds 4j..4j+3 of one block, after the schedule step that yields W[4j..4j+3]. */
#define NI_ROUNDS(j, s0, s1, m, p)                                                            \
  do {                                                                                        \
    __m128i w_;                                                                               \
    if ((j) < 4) {                                                                            \
      w_ = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)((p) + 16 * (j))), NI_BSWAP);    \
    } else { /* W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16], four at a time */         \
      w_ = _mm_sha256msg1_epu32(m[(j) & 3], m[((j) + 1) & 3]);                                \
      w_ = _mm_add_epi32(w_, _mm_alignr_epi8(m[((j) + 3) & 3], m[((j) + 2) & 3], 4));         \
      w_ = _mm_sha256msg2_epu32(w_, m[((j) + 3) & 3]);                                        \
    }                                                                                         \
    m[(j) & 3] = w_;                                                                          \
    __m128i wk_ = _mm_add_epi32(w_, _mm_load_si128((const __m128i *)&K[4 * (j)]));            \
    s1 = _mm_sha256rnds2_epu32(s1, s0, wk_);                                                  \
    s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(wk_, 0x0E));                         \
  } while (0)

NI_INLINE void ni_block(__m128i st[2], const uint8_t *p) {
  __m128i s0 = st[0], s1 = st[1], m[4];
#pragma GCC unroll 16
  for (int j = 0; j < 16; j++) NI_ROUNDS(j, s0, s1, m, p);
  st[0] = _mm_add_epi32(s0, st[0]);
  st[1] = _mm_add_epi32(s1, st[1]);
}

/*
 * Two blocks of two independent messages, their rounds interleaved.
 * (measured) Each sha256rnds2 waits for the one before it; a second message fills those
 * waits. 256-entry bundles of 250–350-byte leaves: 6.46M leaves/s against 4.12M one at a
 * time; 128 node hashes: 16.3M/s against 10.4M (median of 40 runs; 2-vCPU AMD EPYC, family 26,
 * Node 20.20.2). Four at a time, tried on node hashes, gave 19.6M/s (+20%): too little to pay
 * for a third code path.
 */
NI_INLINE void ni_block2(__m128i sa[2], const uint8_t *pa, __m128i sb[2], const uint8_t *pb) {
  __m128i a0 = sa[0], a1 = sa[1], b0 = sb[0], b1 = sb[1], ma[4], mb[4];
#pragma GCC unroll 16
  for (int j = 0; j < 16; j++) {
    NI_ROUNDS(j, a0, a1, ma, pa);
    NI_ROUNDS(j, b0, b1, mb, pb);
  }
  sa[0] = _mm_add_epi32(a0, sa[0]);
  sa[1] = _mm_add_epi32(a1, sa[1]);
  sb[0] = _mm_add_epi32(b0, sb[0]);
  sb[1] = _mm_add_epi32(b1, sb[1]);
}

NI_INLINE void ni_output(const __m128i st[2], uint8_t *out) {
  const __m128i feba = _mm_shuffle_epi32(st[0], 0x1B);
  const __m128i dchg = _mm_shuffle_epi32(st[1], 0xB1);
  const __m128i dcba = _mm_blend_epi16(feba, dchg, 0xF0);
  const __m128i hgfe = _mm_alignr_epi8(dchg, feba, 8);
  _mm_storeu_si128((__m128i *)out, _mm_shuffle_epi8(dcba, NI_BSWAP));
  _mm_storeu_si128((__m128i *)(out + 16), _mm_shuffle_epi8(hgfe, NI_BSWAP));
}

NI_TARGET static void ni_hash1(uint8_t prefix, const uint8_t *d, size_t len, uint8_t *out) {
  message m;
  __m128i st[2] = {NI_IV0, NI_IV1};
  message_init(&m, prefix, d, len);
  for (size_t k = 0; k < m.nblocks; k++) ni_block(st, message_block(&m, k));
  ni_output(st, out);
}

NI_TARGET static void ni_hash2(uint8_t prefix, const uint8_t *a, size_t alen, const uint8_t *b,
                               size_t blen, uint8_t *out_a, uint8_t *out_b) {
  message ma, mb;
  __m128i sa[2] = {NI_IV0, NI_IV1}, sb[2] = {NI_IV0, NI_IV1};
  message_init(&ma, prefix, a, alen);
  message_init(&mb, prefix, b, blen);
  const size_t common = ma.nblocks < mb.nblocks ? ma.nblocks : mb.nblocks;
  for (size_t k = 0; k < common; k++) {
    ni_block2(sa, message_block(&ma, k), sb, message_block(&mb, k));
  }
  for (size_t k = common; k < ma.nblocks; k++) ni_block(sa, message_block(&ma, k));
  for (size_t k = common; k < mb.nblocks; k++) ni_block(sb, message_block(&mb, k));
  ni_output(sa, out_a);
  ni_output(sb, out_b);
}

static int cpu_has_sha_ni(void) {
  unsigned int a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  if (!(c & bit_SSSE3) || !(c & bit_SSE4_1)) return 0;
  if (__get_cpuid_max(0, NULL) < 7) return 0;
  __cpuid_count(7, 0, a, b, c, d);
  return (b & (1u << 29)) != 0; /* CPUID.(EAX=7,ECX=0):EBX.SHA[bit 29] */
}
#endif

static hash1_fn hash1 = portable_hash1;
static hash2_fn hash2 = portable_hash2;
static const char *implementation = "portable";

static int set_implementation(const char *name) {
  if (strcmp(name, "portable") == 0) {
    hash1 = portable_hash1;
    hash2 = portable_hash2;
    implementation = "portable";
    return 1;
  }
#ifdef HAVE_SHA_NI
  if (strcmp(name, "sha-ni") == 0 && cpu_has_sha_ni()) {
    hash1 = ni_hash1;
    hash2 = ni_hash2;
    implementation = "sha-ni";
    return 1;
  }
#endif
  return 0;
}

/* One tree level: out[i] = SHA-256(0x01 || in[2i] || in[2i+1]). out may equal in. */
static void hash_level(const uint8_t *in, size_t pairs, uint8_t *out) {
  size_t i = 0;
  for (; i + 2 <= pairs; i += 2) {
    hash2(0x01, in + i * 64, 64, in + (i + 1) * 64, 64, out + i * HASH_SIZE,
          out + (i + 1) * HASH_SIZE);
  }
  if (i < pairs) {
    uint8_t node[HASH_SIZE];
    hash1(0x01, in + i * 64, 64, node);
    memcpy(out + i * HASH_SIZE, node, HASH_SIZE);
  }
}

/* ---- Node-API ------------------------------------------------------------------------- */

/* The bytes of a Uint8Array argument, in place; throws TypeError and returns 0 otherwise. */
static int get_bytes(napi_env env, napi_value v, const uint8_t **data, size_t *len) {
  static const uint8_t empty[1] = {0};
  bool is_ta = false;
  napi_typedarray_type type;
  void *ptr = NULL;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, v, &type, len, &ptr, NULL, NULL) != napi_ok ||
      type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "expected a Uint8Array");
    return 0;
  }
  if (ptr == NULL) *len = 0; /* empty or detached */
  *data = ptr != NULL ? (const uint8_t *)ptr : empty;
  return 1;
}

/* A fresh Uint8Array of len bytes (its own ArrayBuffer), or NULL with an exception pending. */
static napi_value new_bytes(napi_env env, size_t len, uint8_t **data) {
  napi_value ab, ta;
  void *ptr = NULL;
  if (napi_create_arraybuffer(env, len, &ptr, &ab) != napi_ok ||
      napi_create_typedarray(env, napi_uint8_array, len, ab, 0, &ta) != napi_ok) {
    return NULL;
  }
  *data = (uint8_t *)ptr;
  return ta;
}

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (argc < want) {
    napi_throw_type_error(env, NULL, "missing argument");
    return 0;
  }
  return 1;
}

/* bundleLeafHashes(bundle: Uint8Array, count: number): Uint8Array | null */
static napi_value bundle_leaf_hashes(napi_env env, napi_callback_info info) {
  napi_value argv[2], result;
  const uint8_t *b;
  size_t n;
  double countd;
  if (!get_args(env, info, 2, argv) || !get_bytes(env, argv[0], &b, &n)) return NULL;
  if (napi_get_null(env, &result) != napi_ok) return NULL;
  if (napi_get_value_double(env, argv[1], &countd) != napi_ok) return result;
  /* Every entry takes at least its two length bytes, so a larger count cannot fit (this also
   * rejects NaN, negatives and fractions before the cast). */
  if (!(countd >= 0 && countd <= (double)(n / 2)) || countd != (double)(size_t)countd) {
    return result;
  }
  const size_t count = (size_t)countd;

  /* Attacker-controlled: walk the entries once, checking each length against the end. */
  size_t off = 0;
  for (size_t i = 0; i < count; i++) {
    if (n - off < 2) return result;
    const size_t len = ((size_t)b[off] << 8) | b[off + 1];
    off += 2;
    if (n - off < len) return result;
    off += len;
  }
  if (off != n) return result;

  uint8_t *out;
  result = new_bytes(env, count * HASH_SIZE, &out);
  if (result == NULL) return NULL;
  /* The allocation may have run the GC: take the input pointer again rather than rely on
   * backing stores never moving. Same bundle, same length, so the walk above still holds. */
  if (!get_bytes(env, argv[0], &b, &n)) return NULL;
  off = 0;
  size_t i = 0;
  for (; i + 2 <= count; i += 2) {
    const size_t alen = ((size_t)b[off] << 8) | b[off + 1];
    const size_t boff = off + 2 + alen;
    const size_t blen = ((size_t)b[boff] << 8) | b[boff + 1];
    hash2(0x00, b + off + 2, alen, b + boff + 2, blen, out + i * HASH_SIZE,
          out + (i + 1) * HASH_SIZE);
    off = boff + 2 + blen;
  }
  if (i < count) hash1(0x00, b + off + 2, ((size_t)b[off] << 8) | b[off + 1], out + i * HASH_SIZE);
  return result;
}

/* hashPairs(hashes: Uint8Array): Uint8Array; RangeError unless a multiple of 64 bytes */
static napi_value hash_pairs(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  const uint8_t *h;
  size_t n;
  uint8_t *out;
  if (!get_args(env, info, 1, argv) || !get_bytes(env, argv[0], &h, &n)) return NULL;
  if (n % (2 * HASH_SIZE) != 0) {
    napi_throw_range_error(env, NULL, "hashPairs needs pairs of 32-byte hashes");
    return NULL;
  }
  napi_value result = new_bytes(env, n / 2, &out);
  if (result == NULL || !get_bytes(env, argv[0], &h, &n)) return NULL;
  hash_level(h, n / (2 * HASH_SIZE), out);
  return result;
}

/* perfectRoot(hashes: Uint8Array): Uint8Array; RangeError unless 2^k hashes, 1 ≤ 2^k ≤ 2^30 */
static napi_value perfect_root(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  const uint8_t *h;
  size_t n;
  uint8_t *out;
  if (!get_args(env, info, 1, argv) || !get_bytes(env, argv[0], &h, &n)) return NULL;
  size_t count = n / HASH_SIZE;
  if (n % HASH_SIZE != 0 || count == 0 || (count & (count - 1)) != 0 || count > (1u << 30)) {
    napi_throw_range_error(env, NULL, "perfectRoot needs a power-of-two count of hashes");
    return NULL;
  }
  napi_value result = new_bytes(env, HASH_SIZE, &out);
  if (result == NULL || !get_bytes(env, argv[0], &h, &n)) return NULL;
  if (count == 1) {
    memcpy(out, h, HASH_SIZE);
    return result;
  }
  /* The first level reads the input in place into a scratch level; the levels above are
   * hashed in place. */
  uint8_t *level = malloc(count / 2 * HASH_SIZE);
  if (level == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  hash_level(h, count / 2, level);
  for (count /= 2; count > 1; count /= 2) hash_level(level, count / 2, level);
  memcpy(out, level, HASH_SIZE);
  free(level);
  return result;
}

static napi_value export_implementation(napi_env env, napi_value exports) {
  napi_value name;
  if (napi_create_string_utf8(env, implementation, NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_set_named_property(env, exports, "implementation", name) != napi_ok) {
    return NULL;
  }
  return exports;
}

/* setImplementation(name): boolean — for tests and benchmarks of the portable C path on a
 * machine with SHA-NI. Process-wide; updates `implementation`. */
static napi_value set_implementation_js(napi_env env, napi_callback_info info) {
  napi_value argv[1], exports, ok;
  char name[16];
  size_t len;
  size_t argc = 1;
  if (napi_get_cb_info(env, info, &argc, argv, &exports, NULL) != napi_ok) return NULL;
  if (argc < 1 ||
      napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected an implementation name");
    return NULL;
  }
  const int done = set_implementation(name);
  if (done && export_implementation(env, exports) == NULL) return NULL;
  if (napi_get_boolean(env, done, &ok) != napi_ok) return NULL;
  return ok;
}

/* ---- Giving memory back (verify in a long-lived process) ------------------------------ */

/*
 * releaseMemory(tablesUnder?: string, trim?: boolean): Promise<{ trimmed, pagedOut }>
 *
 * A full verify streams the whole store through a process that keeps running (`logseal tui`).
 * Two kinds of memory stay resident after the bytes are dropped:
 *  - glibc keeps freed heap memory in its arenas (the bundles' buffers, freed in an order that
 *    leaves holes): malloc_trim(0) returns every free page of every arena to the kernel.
 *    (measured, 10M events) 95 MB of anonymous memory after a verify, 28 MB after the trim.
 *  - LevelDB maps every open table file (up to 64 of ~2 MB, its minimum table cache) and the
 *    pages read stay in the process's RSS while the table stays open. With `tablesUnder` (a
 *    directory, as /proc/self/maps names it), the mapped `.ldb` files under it are advised
 *    MADV_PAGEOUT: the kernel reclaims their pages now instead of under pressure. PAGEOUT never
 *    changes contents (clean file pages are read again on the next access; anonymous memory it
 *    might meet if a mapping was replaced meanwhile is only ever swapped, never dropped), so a
 *    table LevelDB unmaps or reads concurrently is safe.
 * Elsewhere (not glibc, not Linux, a kernel before 5.4) each part does nothing and says so.
 */
static double page_out_tables(const char *prefix) {
  double paged = 0;
#if defined(__linux__) && defined(MADV_PAGEOUT)
  const size_t plen = strlen(prefix);
  FILE *maps = fopen("/proc/self/maps", "r");
  if (maps == NULL) return 0;
  char line[8192];
  while (fgets(line, sizeof line, maps) != NULL) {
    unsigned long start, end;
    int path = 0;
    if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &start, &end, &path) < 2 || path == 0) {
      continue;
    }
    char *name = line + path;
    size_t n = strlen(name);
    while (n > 0 && (name[n - 1] == '\n' || name[n - 1] == ' ')) name[--n] = '\0';
    if (n < plen + 4 || strncmp(name, prefix, plen) != 0 || strcmp(name + n - 4, ".ldb") != 0) {
      continue;
    }
    if (madvise((void *)start, end - start, MADV_PAGEOUT) == 0) paged += (double)(end - start);
  }
  fclose(maps);
#else
  (void)prefix;
#endif
  return paged;
}

/* The work of releaseMemory, on a thread of libuv's pool: both parts take tens of ms (measured,
 * 10M events under load: PAGEOUT of 64 tables 30-150 ms, a trim 10-260 ms), which the thread
 * that draws the TUI must not wait for. */
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  char prefix[4096];
  int trim;
  int trimmed;
  double paged;
} release_job;

static void release_execute(napi_env env, void *data) {
  release_job *job = data;
  (void)env;
  if (job->prefix[0] != '\0') job->paged = page_out_tables(job->prefix);
#if defined(__GLIBC__)
  if (job->trim) job->trimmed = malloc_trim(0);
#endif
}

static void release_complete(napi_env env, napi_status status, void *data) {
  release_job *job = data;
  napi_value result, value;
  if (status == napi_ok && napi_create_object(env, &result) == napi_ok &&
      napi_get_boolean(env, job->trimmed != 0, &value) == napi_ok &&
      napi_set_named_property(env, result, "trimmed", value) == napi_ok &&
      napi_create_double(env, job->paged, &value) == napi_ok &&
      napi_set_named_property(env, result, "pagedOut", value) == napi_ok) {
    napi_resolve_deferred(env, job->deferred, result);
  } else {
    napi_value message, error;
    napi_create_string_utf8(env, "releaseMemory failed", NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &error);
    napi_reject_deferred(env, job->deferred, error);
  }
  napi_delete_async_work(env, job->work);
  free(job);
}

/* releaseMemory(tablesUnder: string | undefined, trim: boolean): Promise<{ trimmed, pagedOut }> */
static napi_value release_memory(napi_env env, napi_callback_info info) {
  napi_value argv[2], promise, name;
  size_t argc = 2;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  release_job *job = calloc(1, sizeof *job);
  if (job == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  napi_valuetype type = napi_undefined;
  if (argc >= 1 && napi_typeof(env, argv[0], &type) != napi_ok) type = napi_null;
  size_t len = 0;
  bool trim = false;
  if ((type != napi_undefined && type != napi_string) ||
      (type == napi_string && (napi_get_value_string_utf8(env, argv[0], job->prefix,
                                                          sizeof job->prefix, &len) != napi_ok ||
                               len >= sizeof job->prefix - 1)) ||
      (argc >= 2 && napi_get_value_bool(env, argv[1], &trim) != napi_ok)) {
    free(job);
    napi_throw_type_error(env, NULL, "expected (directory | undefined, boolean)");
    return NULL;
  }
  job->trim = trim;
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, "logseal.releaseMemory", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, release_execute, release_complete, job,
                             &job->work) != napi_ok ||
      napi_queue_async_work(env, job->work) != napi_ok) {
    free(job);
    napi_throw_error(env, NULL, "cannot queue releaseMemory");
    return NULL;
  }
  return promise;
}

NAPI_MODULE_INIT() {
  if (!set_implementation("sha-ni")) set_implementation("portable");
  napi_property_descriptor props[] = {
      {"bundleLeafHashes", NULL, bundle_leaf_hashes, NULL, NULL, NULL, napi_enumerable, NULL},
      {"hashPairs", NULL, hash_pairs, NULL, NULL, NULL, napi_enumerable, NULL},
      {"perfectRoot", NULL, perfect_root, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setImplementation", NULL, set_implementation_js, NULL, NULL, NULL, napi_enumerable,
       NULL},
      {"releaseMemory", NULL, release_memory, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) {
    return NULL;
  }
  return export_implementation(env, exports);
}
