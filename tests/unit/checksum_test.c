/*
** Unit tests for checksum.c: SHA-256 against the FIPS 180-4 example vectors
** (one block, two blocks, a million bytes) and Flyway's CRC-32 (terminators
** and a BOM do not count; the result is a signed 32-bit integer).
*/
#include "devdb.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

static const char *hex(const char *z, size_t n) {
  static char zOut[65];
  devdb_sha256_hex(z, n, zOut);
  return zOut;
}

/* Every vector, once with the CPU's SHA instructions (where it has them)
** and once with the portable code. */
static void sha_vectors(const char *zMode) {
  char zName[64];
#define NAME(x) (snprintf(zName, sizeof(zName), "%s-%s", x, zMode), zName)
  CHECK_EQ_STR(NAME("sha256-empty"), hex("", 0),
               "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK_EQ_STR(NAME("sha256-abc"), hex("abc", 3),
               "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const char *z56 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  CHECK_EQ_STR(NAME("sha256-two-blocks"), hex(z56, strlen(z56)),
               "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  char *zA = malloc(1000000);
  memset(zA, 'a', 1000000);
  CHECK_EQ_STR(NAME("sha256-million-a"), hex(zA, 1000000),
               "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  free(zA);
  /* 55, 63 and 64 bytes: the padding fits the block, needs another, or a
  ** block of its own */
  char z64[65];
  memset(z64, 'x', 64);
  CHECK_EQ_STR(NAME("sha256-55"), hex(z64, 55),
               "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072");
  CHECK_EQ_STR(NAME("sha256-63"), hex(z64, 63),
               "75220b47218278e656f2013bb8f0c455a25eaf01e86c64924e9d48d89776d6f2");
  CHECK_EQ_STR(NAME("sha256-64"), hex(z64, 64),
               "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c");
#undef NAME
}

int main(void) {
  sha_vectors("native");
  devdb_sha256_portable = 1;
  sha_vectors("portable");
  CHECK_EQ_INT("flyway-crc-abc", devdb_flyway_crc32("abc", 3), 891568578);
  CHECK_EQ_INT("flyway-crc-lines", devdb_flyway_crc32("a\r\nb\nc\n", 7), 891568578);
  CHECK_EQ_INT("flyway-crc-bom",
               devdb_flyway_crc32("\xEF\xBB\xBF"
                                  "abc",
                                  6),
               891568578);
  CHECK_EQ_INT("flyway-crc-signed", devdb_flyway_crc32("abcd", 4),
               3984772369LL - 4294967296LL);
  return unit_failures();
}
