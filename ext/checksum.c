/*
** checksum.c: the checksums migration files are known by.
**
**   devdb_sha256(data, n, out)      SHA-256 (FIPS 180-4) of n bytes: devdb's
**                                   own history table and Prisma store it;
**                                   with the CPU's SHA instructions where it
**                                   has them (x86-64 SHA-NI), else portable C
**   devdb_sha256_hex(data, n, out)  the same as 64 lower-case hex digits
**   devdb_flyway_crc32(data, n)     Flyway's checksum of a script: CRC-32
**                                   (zlib polynomial) over its lines without
**                                   their terminators and without a leading
**                                   UTF-8 BOM, as a signed 32-bit integer
**
** No SQL functions live here: the migrations area uses these to tell a
** modified file from an applied one.
*/
#include "devdb.h"

#include <string.h>

/* ------------------------------------------------------------- SHA-256 */

/* The first 32 bits of the fractional parts of the cube roots of the first
** 64 primes (FIPS 180-4 §4.2.2). */
static const unsigned int K256[64] = {
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

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

/* Process one 64-byte block into the state h[8]. */
static void sha256_block(unsigned int *h, const unsigned char *p) {
  unsigned int w[64];
  for (int i = 0; i < 16; i++) {
    w[i] = (unsigned int)p[4 * i] << 24 | (unsigned int)p[4 * i + 1] << 16 |
           (unsigned int)p[4 * i + 2] << 8 | (unsigned int)p[4 * i + 3];
  }
  for (int i = 16; i < 64; i++) {
    unsigned int s0 = ROTR(w[i - 15], 7) ^ ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
    unsigned int s1 = ROTR(w[i - 2], 17) ^ ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  unsigned int a = h[0], b = h[1], c = h[2], d = h[3];
  unsigned int e = h[4], f = h[5], g = h[6], k = h[7];
  for (int i = 0; i < 64; i++) {
    unsigned int t1 = k + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) +
                      ((e & f) ^ (~e & g)) + K256[i] + w[i];
    unsigned int t2 =
        (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    k = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
  h[5] += f;
  h[6] += g;
  h[7] += k;
}

/* ------------------------------------------ SHA-256 with x86 SHA-NI */
#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_SHA_NI 1

/* 1 when the CPU has the SHA extensions (and the SSSE3/SSE4.1 they use). */
static int cpu_has_sha(void) {
  static volatile int iHas = -1; /* a benign race: every thread stores the same */
  if (iHas < 0) {
    unsigned a, b, c, d;
    int bSha = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b >> 29 & 1);
    int bSse = __get_cpuid(1, &a, &b, &c, &d) && (c >> 9 & 1) && (c >> 19 & 1);
    iHas = bSha && bSse;
  }
  return iHas;
}

/*
** The 64 rounds of n blocks with the SHA instructions. The state lives in
** two registers as ABEF and CDGH; each sha256rnds2 does two rounds, and
** sha256msg1/msg2 extend the message schedule four words at a time.
*/
__attribute__((target("sha,ssse3,sse4.1"))) static void
sha256_blocks_ni(unsigned int *h, const unsigned char *p, size_t nBlock) {
  const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[0]), 0xB1);
  __m128i s1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[4]), 0x1B);
  __m128i s0 = _mm_alignr_epi8(tmp, s1, 8); /* ABEF */
  s1 = _mm_blend_epi16(s1, tmp, 0xF0);      /* CDGH */
  for (; nBlock > 0; nBlock--, p += 64) {
    __m128i abef = s0, cdgh = s1, w[4];
    for (int g = 0; g < 16; g++) {
      __m128i x;
      if (g < 4) {
        x = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * g)), mask);
      } else {
        x = _mm_sha256msg1_epu32(w[g & 3], w[(g + 1) & 3]);
        x = _mm_add_epi32(x, _mm_alignr_epi8(w[(g + 3) & 3], w[(g + 2) & 3], 4));
        x = _mm_sha256msg2_epu32(x, w[(g + 3) & 3]);
      }
      w[g & 3] = x;
      __m128i m = _mm_add_epi32(x, _mm_loadu_si128((const __m128i *)&K256[4 * g]));
      s1 = _mm_sha256rnds2_epu32(s1, s0, m);
      s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(m, 0x0E));
    }
    s0 = _mm_add_epi32(s0, abef);
    s1 = _mm_add_epi32(s1, cdgh);
  }
  tmp = _mm_shuffle_epi32(s0, 0x1B);                                  /* FEBA */
  s1 = _mm_shuffle_epi32(s1, 0xB1);                                   /* DCHG */
  _mm_storeu_si128((__m128i *)&h[0], _mm_blend_epi16(tmp, s1, 0xF0)); /* DCBA */
  _mm_storeu_si128((__m128i *)&h[4], _mm_alignr_epi8(s1, tmp, 8));    /* HGFE */
}
#endif

int devdb_sha256_portable = 0;

/* Process nBlock 64-byte blocks into the state h[8]. */
static void sha256_blocks(unsigned int *h, const unsigned char *p, size_t nBlock) {
#ifdef HAVE_SHA_NI
  if (!devdb_sha256_portable && cpu_has_sha()) {
    sha256_blocks_ni(h, p, nBlock);
    return;
  }
#endif
  for (; nBlock > 0; nBlock--, p += 64) sha256_block(h, p);
}

void devdb_sha256(const void *pData, size_t n, unsigned char *aOut) {
  unsigned int h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  const unsigned char *p = pData;
  size_t nLeft = n % 64;
  sha256_blocks(h, p, n / 64);
  p += n - nLeft;
  /* the tail, a 1 bit, zeros, and the length in bits (big-endian) */
  unsigned char aTail[128];
  memset(aTail, 0, sizeof(aTail));
  memcpy(aTail, p, nLeft);
  aTail[nLeft] = 0x80;
  size_t nTail = nLeft + 1 + 8 <= 64 ? 64 : 128;
  unsigned long long nBits = (unsigned long long)n * 8;
  for (int i = 0; i < 8; i++) aTail[nTail - 1 - i] = (unsigned char)(nBits >> (8 * i));
  sha256_blocks(h, aTail, nTail / 64);
  for (int i = 0; i < 8; i++) {
    aOut[4 * i] = (unsigned char)(h[i] >> 24);
    aOut[4 * i + 1] = (unsigned char)(h[i] >> 16);
    aOut[4 * i + 2] = (unsigned char)(h[i] >> 8);
    aOut[4 * i + 3] = (unsigned char)h[i];
  }
}

void devdb_sha256_hex(const void *pData, size_t n, char *zOut) {
  static const char aHex[] = "0123456789abcdef";
  unsigned char a[32];
  devdb_sha256(pData, n, a);
  for (int i = 0; i < 32; i++) {
    zOut[2 * i] = aHex[a[i] >> 4];
    zOut[2 * i + 1] = aHex[a[i] & 15];
  }
  zOut[64] = 0;
}

/* --------------------------------------------------------------- CRC-32 */

/* Continue a CRC-32 (reflected, polynomial 0xEDB88320) over n bytes, bit by
** bit: Flyway scripts are small, and no shared table needs initialising. */
static unsigned int crc32_update(unsigned int crc, const unsigned char *p, size_t n) {
  crc = ~crc;
  for (size_t i = 0; i < n; i++) {
    crc ^= p[i];
    for (int k = 0; k < 8; k++) crc = crc & 1 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
  }
  return ~crc;
}

int devdb_flyway_crc32(const char *z, size_t n) {
  const unsigned char *p = (const unsigned char *)z;
  size_t i = 0;
  if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) i = 3;
  unsigned int crc = 0;
  while (i < n) {
    size_t iEnd = i;
    while (iEnd < n && p[iEnd] != '\n' && p[iEnd] != '\r') iEnd++;
    crc = crc32_update(crc, p + i, iEnd - i);
    if (iEnd < n && p[iEnd] == '\r' && iEnd + 1 < n && p[iEnd + 1] == '\n') iEnd++;
    i = iEnd + 1;
  }
  return (int)crc;
}
