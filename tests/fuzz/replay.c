/*
** replay: runs a fuzz target's LLVMFuzzerTestOneInput over files, without
** libFuzzer, so that the committed corpus and every input that once crashed
** (tests/fuzz/regress/) are regression tests in make test and make asan.
**
**   replay-TARGET FILE|DIR ...
**
** Prints "ok replay TARGET: N inputs" at the end; a crash or a failed
** property aborts, which the test runner counts as a failure.
*/
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData);

static int run_file(const char *zPath) {
  FILE *f = fopen(zPath, "rb");
  if (f == 0) return 0;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *a = malloc(n > 0 ? n : 1);
  size_t got = fread(a, 1, n, f);
  fclose(f);
  LLVMFuzzerTestOneInput(a, got);
  free(a);
  return 1;
}

static int run_path(const char *zPath) {
  struct stat st;
  if (stat(zPath, &st) != 0) return 0;
  if (!S_ISDIR(st.st_mode)) return run_file(zPath);
  int n = 0;
  DIR *d = opendir(zPath);
  struct dirent *e;
  while (d && (e = readdir(d)) != 0) {
    if (e->d_name[0] == '.') continue;
    char zChild[4096];
    snprintf(zChild, sizeof(zChild), "%s/%s", zPath, e->d_name);
    n += run_path(zChild);
  }
  if (d) closedir(d);
  return n;
}

int main(int argc, char **argv) {
  int n = 0;
  for (int i = 1; i < argc; i++) n += run_path(argv[i]);
  const char *zName = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
  printf("ok replay %s: %d inputs\n", zName, n);
  return 0;
}
