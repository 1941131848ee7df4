/*
** checksum.c: the checksums migration files are known by.
**
**   devdb_sha256(data, n, out)      SHA-256 (FIPS 180-4) of n bytes: devdb's
**                                   own history table and Prisma store it
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

void devdb_sha256(const void *pData, size_t n, unsigned char *aOut) {
  unsigned int h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  const unsigned char *p = pData;
  size_t nLeft = n;
  for (; nLeft >= 64; nLeft -= 64, p += 64) sha256_block(h, p);
  /* the tail, a 1 bit, zeros, and the length in bits (big-endian) */
  unsigned char aTail[128];
  memset(aTail, 0, sizeof(aTail));
  memcpy(aTail, p, nLeft);
  aTail[nLeft] = 0x80;
  size_t nTail = nLeft + 1 + 8 <= 64 ? 64 : 128;
  unsigned long long nBits = (unsigned long long)n * 8;
  for (int i = 0; i < 8; i++) aTail[nTail - 1 - i] = (unsigned char)(nBits >> (8 * i));
  sha256_block(h, aTail);
  if (nTail == 128) sha256_block(h, aTail + 64);
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
