# devdb: a SQLite extension (build/devdb.so) and a shell (build/devdb).
# `make` builds both; `make test` builds and runs every test; see README.md.

CC      ?= cc
VERSION := $(shell cat VERSION)
OPT     ?= -O2 -g
WARN    := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wstrict-prototypes
CFLAGS  += $(OPT) $(WARN) -std=c11 -D_GNU_SOURCE -pthread -DDEVDB_VERSION='"$(VERSION)"'
B       ?= build
PREFIX  ?= /usr/local
LIBDIR  ?= $(PREFIX)/lib
BINDIR  ?= $(PREFIX)/bin

EXT_SRC   := $(sort $(wildcard ext/*.c))
SHELL_SRC := $(sort $(wildcard shell/*.c))
UNIT_SRC  := $(sort $(wildcard tests/unit/*.c))
HEADERS   := $(wildcard ext/*.h shell/*.h tests/*.h)

# libedit is optional: line editing and history in the REPL when present.
# It is loaded with dlopen when the REPL starts on a terminal (shell/input.c),
# not linked: one-shot commands do not pay for loading it and its libraries.
HAVE_EDIT := $(shell test -f /usr/include/histedit.h && echo 1)
ifeq ($(HAVE_EDIT),1)
  EDIT_CFLAGS := -DHAVE_EDITLINE=1
  EDIT_LIBS   := -ldl
endif

# The shell links the system's SQLite statically when libsqlite3-dev has the
# archive (it is part of the package): every devdb command then saves loading
# and relocating libsqlite3.so, about 0.2 ms of a 2 ms wipe. SQLITE_SHARED=1
# links the shared library instead. The extension (devdb.so) always uses its
# host's SQLite.
SQLITE_A := $(shell $(CC) -print-file-name=libsqlite3.a)
ifeq ($(if $(SQLITE_SHARED),,$(filter /%,$(SQLITE_A))),)
  SHELL_SQLITE := -lsqlite3
else
  SHELL_SQLITE := $(SQLITE_A) -ldl -lpthread
endif

SO_OBJ    := $(EXT_SRC:ext/%.c=$(B)/so/%.o)
CORE_OBJ  := $(EXT_SRC:ext/%.c=$(B)/core/%.o)
SHELL_OBJ := $(SHELL_SRC:shell/%.c=$(B)/shell/%.o)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(B)/unit/%)
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
REPLAY_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/replay-%)

.PHONY: all test asan bench demo install format lint clean fault fuzz fuzz-diff
all: $(B)/devdb.so $(B)/devdb $(B)/sqltest

$(B)/so/%.o: ext/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fPIC -c $< -o $@

$(B)/core/%.o: ext/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DSQLITE_CORE -c $< -o $@

$(B)/shell/%.o: shell/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(EDIT_CFLAGS) -DSQLITE_CORE -Iext -c $< -o $@

$(B)/devdb.so: $(SO_OBJ)
	$(CC) $(CFLAGS) -shared -o $@ $^ $(LDFLAGS)

$(B)/devdb: $(SHELL_OBJ) $(CORE_OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(SHELL_SQLITE) $(EDIT_LIBS) -lm

# The SQL test driver loads build/devdb.so like any host; under `make asan` it
# is linked with the instrumented extension instead (DEVDB_STATIC).
$(B)/sqltest: tests/sqltest.c $(if $(STATIC),$(CORE_OBJ)) $(HEADERS)
	$(CC) $(CFLAGS) $(if $(STATIC),-DDEVDB_STATIC -DSQLITE_CORE) -Iext -o $@ tests/sqltest.c \
	  $(if $(STATIC),$(CORE_OBJ)) $(LDFLAGS) -lsqlite3 -ldl -lm

$(B)/unit/%: tests/unit/%.c $(CORE_OBJ) $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DSQLITE_CORE -Iext -Itests/unit -o $@ $< $(CORE_OBJ) $(LDFLAGS) -lsqlite3 -lm

test: all $(UNIT_BIN) $(B)/fault $(REPLAY_BIN)
	@B=$(B) tests/run.sh

# The whole suite again with AddressSanitizer and UBSan in build/asan.
ASAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
asan:
	$(MAKE) B=build/asan OPT="-O1 -g $(ASAN_FLAGS)" LDFLAGS="$(ASAN_FLAGS)" STATIC=1 \
	  all $(UNIT_SRC:tests/unit/%.c=build/asan/unit/%) build/asan/fault \
	  $(FUZZ_SRC:tests/fuzz/%.c=build/asan/replay-%)
	@B=build/asan SANITIZED=1 tests/run.sh

# The property test of devdb_apply for as long as SECONDS allows (make test
# runs 1,000 pairs): make fuzz-diff SECONDS=600
SECONDS ?= 60
fuzz-diff: $(B)/unit/diff_property
	$(B)/unit/diff_property --seconds $(SECONDS)

# The "nothing lost" harness (tests/fault/, README "Guarantees"), built with
# the sanitizers so every fault path is also checked for memory errors and
# leaks. Bounds: fault points per operation in the memory loops and per I/O
# class; kill -9 runs and power-loss seeds; the whole run's time limit.
FAULT_SRC     := $(sort $(wildcard tests/fault/*.c))
FAULT_MAX     ?= 12
FAULT_IO_MAX  ?= 8
FAULT_KILLS   ?= 6
FAULT_SEEDS   ?= 1
FAULT_SECONDS ?= 420

$(B)/fault: $(FAULT_SRC) tests/fault/harness.h $(CORE_OBJ) $(HEADERS)
	$(CC) $(CFLAGS) -DSQLITE_CORE -Iext -Itests/fault -o $@ $(FAULT_SRC) $(CORE_OBJ) \
	  $(LDFLAGS) -lsqlite3 -lm

fault:
	$(MAKE) B=build/asan OPT="-O1 -g $(ASAN_FLAGS)" LDFLAGS="$(ASAN_FLAGS)" STATIC=1 \
	  build/asan/devdb.so build/asan/devdb build/asan/fault
	@B=build/asan SANITIZED=1 FAULT_MAX=$(FAULT_MAX) FAULT_IO_MAX=$(FAULT_IO_MAX) \
	  FAULT_KILLS=$(FAULT_KILLS) FAULT_SEEDS=$(FAULT_SEEDS) FAULT_SECONDS=$(FAULT_SECONDS) \
	  tests/fault/run.sh

# Fuzzing (tests/fuzz/, reliability.md §6 L): libFuzzer targets built with
# clang, the extension instrumented for coverage and the sanitizers, each run
# FUZZ_SECONDS from its committed corpus. The same targets linked with a
# plain main (replay-*) run the corpora and past crashes in make test.
FUZZ_SECONDS ?= 60
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined

$(B)/libfuzzer/%: tests/fuzz/%.c $(CORE_OBJ) $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -DSQLITE_CORE -Iext -o $@ $< $(CORE_OBJ) \
	  $(LDFLAGS) -lsqlite3 -lm

$(B)/replay-%: tests/fuzz/%.c tests/fuzz/replay.c $(CORE_OBJ) $(HEADERS)
	$(CC) $(CFLAGS) -DSQLITE_CORE -Iext -o $@ $< tests/fuzz/replay.c $(CORE_OBJ) \
	  $(LDFLAGS) -lsqlite3 -lm

fuzz:
	$(MAKE) CC=clang B=build/fuzz OPT="-O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN)" \
	  LDFLAGS="$(FUZZ_SAN)" $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/libfuzzer/%)
	@B=build/fuzz FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh

bench: all
	@B=$(B) tests/bench/run.sh

demo: all
	@B=$(B) fixtures/demo/run.sh

install: $(B)/devdb.so $(B)/devdb
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(BINDIR)
	install -m 0644 $(B)/devdb.so $(DESTDIR)$(LIBDIR)/devdb.so
	install -m 0755 $(B)/devdb $(DESTDIR)$(BINDIR)/devdb

format:
	clang-format -i ext/*.c ext/*.h shell/*.c shell/*.h tests/*.c tests/unit/*.c \
	  tests/fault/*.c tests/fault/*.h tests/fuzz/*.c

# Fails when a file is not formatted; also runs cppcheck over the sources.
lint:
	@fail=0; for f in ext/*.c ext/*.h shell/*.c shell/*.h tests/*.c tests/unit/*.c \
	  tests/fault/*.c tests/fault/*.h tests/fuzz/*.c; do \
	  clang-format "$$f" | diff -q "$$f" - >/dev/null || { echo "not formatted: $$f"; fail=1; }; \
	done; \
	cppcheck -q --error-exitcode=1 --enable=warning,portability --inline-suppr \
	  -DSQLITE_CORE -Iext ext shell || fail=1; exit $$fail

clean:
	rm -rf build
