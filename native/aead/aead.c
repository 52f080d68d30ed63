/*
 * logseal native AES-256-GCM: seals a whole batch of vault values in one call, with Node's own
 * OpenSSL (the EVP symbols the node binary exports; headers under include/node/openssl).
 *
 * Why: masking the planted corpus sealed each value with node:crypto's createCipheriv, 5-6 us
 * of CPU a value on this machine (measured), almost all of it the KeyObject/Cipher object, the
 * setAAD/update/final/getAuthTag calls and their Buffers, not AES. One EVP_CIPHER_CTX reused for
 * every value of the batch does the same work in well under a microsecond a value.
 *
 * The bytes are exactly node:crypto's: each value is `nonce(12) || ciphertext || tag(16)` under
 * its own key, nonce and associated data (src/store/keys.ts `seal`), so the vault format does
 * not change and either side opens what the other sealed (test/privacy/aead-native.test.ts).
 *
 * This is a separate addon from native/hash.c on purpose: the EVP symbols are outside
 * Node-API's ABI promise, so a Node that does not export them (another OpenSSL build, an
 * embedder) must cost only this addon, never native hashing. Missing or broken, logseal seals
 * with node:crypto (src/store/aead-native.ts).
 *
 * Exports:
 *     sealBatch(keys, nonces, plain, plainEnds, aad, aadEnds, prefix, prefixLength): Uint8Array
 *         n = nonces.length / 12 values; value i is plain[plainEnds[i-1] .. plainEnds[i]]
 *         (plainEnds[-1] = 0), its AAD likewise in aad/aadEnds, its key keys[32i .. 32i+32],
 *         its nonce nonces[12i .. 12i+12]. Returns the records one after the other:
 *         prefix[i*prefixLength ..] || nonce || ciphertext || tag.
 *     open(key, sealed, aad): Uint8Array | null     (nonce || ciphertext || tag; null if
 *         the key, AAD or bytes are wrong)
 *     implementation: the OpenSSL version text
 *
 * The context lives in the module instance (napi_set_instance_data), so worker threads that
 * load the addon each have their own.
 */
#define NAPI_VERSION 8
#include <limits.h>
#include <node_api.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define KEY 32
#define NONCE 12
#define TAG 16

typedef struct {
  EVP_CIPHER_CTX *enc;
  EVP_CIPHER_CTX *dec;
} instance;

static void instance_free(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  instance *in = data;
  if (in == NULL) return;
  if (in->enc != NULL) EVP_CIPHER_CTX_free(in->enc);
  if (in->dec != NULL) EVP_CIPHER_CTX_free(in->dec);
  free(in);
}

/* The bytes of a typed array argument of `want` type, in place; throws TypeError otherwise. */
static int get_array(napi_env env, napi_value v, napi_typedarray_type want, void **data,
                     size_t *len) {
  static uint32_t empty[1] = {0};
  bool is_ta = false;
  napi_typedarray_type type;
  void *ptr = NULL;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, v, &type, len, &ptr, NULL, NULL) != napi_ok ||
      type != want) {
    napi_throw_type_error(env, NULL,
                          want == napi_uint8_array ? "expected a Uint8Array"
                                                   : "expected a Uint32Array");
    return 0;
  }
  if (ptr == NULL) *len = 0;
  *data = ptr != NULL ? ptr : (void *)empty;
  return 1;
}

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv,
                    instance **in) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (argc < want) {
    napi_throw_type_error(env, NULL, "missing argument");
    return 0;
  }
  if (napi_get_instance_data(env, (void **)in) != napi_ok || *in == NULL) {
    napi_throw_error(env, NULL, "logseal_aead: no instance");
    return 0;
  }
  return 1;
}

/* Checks that ends[0..n) rise monotonically within total; 0 if not. */
static int ends_ok(const uint32_t *ends, size_t n, size_t total) {
  uint32_t prev = 0;
  for (size_t i = 0; i < n; i++) {
    if (ends[i] < prev || ends[i] > total) return 0;
    prev = ends[i];
  }
  return n == 0 ? total == 0 : (size_t)ends[n - 1] == total;
}

static napi_value seal_batch(napi_env env, napi_callback_info info) {
  napi_value argv[8], result, ab;
  instance *in;
  const uint8_t *keys, *nonces, *plain, *aad, *prefix;
  const uint32_t *plain_ends, *aad_ends;
  size_t nkeys, nnonces, nplain, nplain_ends, naad, naad_ends, nprefix;
  uint32_t prefix_len;
  if (!get_args(env, info, 8, argv, &in)) return NULL;
  if (!get_array(env, argv[0], napi_uint8_array, (void **)&keys, &nkeys) ||
      !get_array(env, argv[1], napi_uint8_array, (void **)&nonces, &nnonces) ||
      !get_array(env, argv[2], napi_uint8_array, (void **)&plain, &nplain) ||
      !get_array(env, argv[3], napi_uint32_array, (void **)&plain_ends, &nplain_ends) ||
      !get_array(env, argv[4], napi_uint8_array, (void **)&aad, &naad) ||
      !get_array(env, argv[5], napi_uint32_array, (void **)&aad_ends, &naad_ends) ||
      !get_array(env, argv[6], napi_uint8_array, (void **)&prefix, &nprefix)) {
    return NULL;
  }
  if (napi_get_value_uint32(env, argv[7], &prefix_len) != napi_ok) {
    napi_throw_type_error(env, NULL, "prefixLength: expected a number");
    return NULL;
  }
  const size_t n = nnonces / NONCE;
  if (nnonces % NONCE != 0 || nkeys != n * KEY || nplain_ends != n || naad_ends != n ||
      nprefix != (size_t)prefix_len * n || nplain > INT_MAX || naad > INT_MAX ||
      !ends_ok(plain_ends, n, nplain) || !ends_ok(aad_ends, n, naad)) {
    napi_throw_range_error(env, NULL, "sealBatch: inconsistent lengths");
    return NULL;
  }
  const size_t total = nplain + n * ((size_t)prefix_len + NONCE + TAG);
  uint8_t *out = NULL;
  if (napi_create_arraybuffer(env, total, (void **)&out, &ab) != napi_ok ||
      napi_create_typedarray(env, napi_uint8_array, total, ab, 0, &result) != napi_ok) {
    return NULL;
  }
  EVP_CIPHER_CTX *ctx = in->enc;
  size_t at = 0;
  uint32_t p0 = 0, a0 = 0;
  for (size_t i = 0; i < n; i++) {
    const uint32_t p1 = plain_ends[i], a1 = aad_ends[i];
    const uint8_t *nonce = nonces + i * NONCE;
    int len = 0;
    memcpy(out + at, prefix + i * prefix_len, prefix_len);
    at += prefix_len;
    memcpy(out + at, nonce, NONCE);
    at += NONCE;
    /* The cipher and the 12-byte nonce length were set once, at load; each value sets only
       its key and nonce. */
    if (EVP_EncryptInit_ex(ctx, NULL, NULL, keys + i * KEY, nonce) != 1 ||
        (a1 > a0 && EVP_EncryptUpdate(ctx, NULL, &len, aad + a0, (int)(a1 - a0)) != 1) ||
        (p1 > p0 && EVP_EncryptUpdate(ctx, out + at, &len, plain + p0, (int)(p1 - p0)) != 1)) {
      napi_throw_error(env, NULL, "sealBatch: EVP failed");
      return NULL;
    }
    at += p1 - p0;
    if (EVP_EncryptFinal_ex(ctx, out + at, &len) != 1 || len != 0 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG, out + at) != 1) {
      napi_throw_error(env, NULL, "sealBatch: EVP failed");
      return NULL;
    }
    at += TAG;
    p0 = p1;
    a0 = a1;
  }
  return result;
}

static napi_value open_one(napi_env env, napi_callback_info info) {
  napi_value argv[3], result, ab, null;
  instance *in;
  const uint8_t *key, *sealed, *aad;
  size_t nkey, nsealed, naad;
  if (!get_args(env, info, 3, argv, &in)) return NULL;
  if (!get_array(env, argv[0], napi_uint8_array, (void **)&key, &nkey) ||
      !get_array(env, argv[1], napi_uint8_array, (void **)&sealed, &nsealed) ||
      !get_array(env, argv[2], napi_uint8_array, (void **)&aad, &naad)) {
    return NULL;
  }
  if (napi_get_null(env, &null) != napi_ok) return NULL;
  if (nkey != KEY || nsealed < NONCE + TAG || nsealed > INT_MAX || naad > INT_MAX) return null;
  const size_t nbody = nsealed - NONCE - TAG;
  uint8_t *out = NULL;
  if (napi_create_arraybuffer(env, nbody, (void **)&out, &ab) != napi_ok ||
      napi_create_typedarray(env, napi_uint8_array, nbody, ab, 0, &result) != napi_ok) {
    return NULL;
  }
  EVP_CIPHER_CTX *ctx = in->dec;
  uint8_t tag[TAG], last[16];
  int len = 0;
  memcpy(tag, sealed + nsealed - TAG, TAG);
  if (EVP_DecryptInit_ex(ctx, NULL, NULL, key, sealed) != 1 ||
      (naad > 0 && EVP_DecryptUpdate(ctx, NULL, &len, aad, (int)naad) != 1) ||
      (nbody > 0 && EVP_DecryptUpdate(ctx, out, &len, sealed + NONCE, (int)nbody) != 1) ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG, tag) != 1 ||
      EVP_DecryptFinal_ex(ctx, last, &len) != 1) {
    if (nbody > 0) memset(out, 0, nbody); /* nothing unauthenticated leaves */
    return null;
  }
  return result;
}

static EVP_CIPHER_CTX *new_ctx(int enc) {
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  if (ctx == NULL) return NULL;
  if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE, NULL) != 1) {
    EVP_CIPHER_CTX_free(ctx);
    return NULL;
  }
  return ctx;
}

NAPI_MODULE_INIT() {
  instance *in = calloc(1, sizeof *in);
  if (in == NULL) {
    napi_throw_error(env, NULL, "logseal_aead: out of memory");
    return NULL;
  }
  in->enc = new_ctx(1);
  in->dec = new_ctx(0);
  if (in->enc == NULL || in->dec == NULL) {
    instance_free(env, in, NULL);
    napi_throw_error(env, NULL, "logseal_aead: AES-256-GCM not available");
    return NULL;
  }
  if (napi_set_instance_data(env, in, instance_free, NULL) != napi_ok) {
    instance_free(env, in, NULL);
    return NULL;
  }
  napi_value impl;
  napi_property_descriptor props[] = {
      {"sealBatch", NULL, seal_batch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"open", NULL, open_one, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, 2, props) != napi_ok ||
      napi_create_string_utf8(env, OPENSSL_VERSION_TEXT, NAPI_AUTO_LENGTH, &impl) != napi_ok ||
      napi_set_named_property(env, exports, "implementation", impl) != napi_ok) {
    return NULL;
  }
  return exports;
}
