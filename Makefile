# wsfault — one entry point.
#   make            build build/gateway and build/harness
#   make run        run the whole suite against the reference gateway
#   make test       unit tests (plain and ASan+UBSan), then the suite
# Every target installs the Debian packages it needs when they are missing.

SHELL   := /bin/bash
CC      ?= cc
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
BUILD   := build

PKGS    := libwebsockets-dev libjansson-dev libfiu-dev fiu-utils libjwt-dev \
           libcmocka-dev libssl-dev zlib1g-dev pkg-config libxml2-utils python3-websockets \
           patch cmark-gfm python3-fiu python3-fastapi python3-uvicorn python3-jwt

WARN    := -Wall -Wextra -Wshadow -Wno-unused-parameter -Wformat=2
CFLAGS  ?= -O2 -g
CPPFLAGS_ALL := -D_GNU_SOURCE -DFIU_ENABLE=1 -Iharness -Iharness/common
LIBS    := -lwebsockets -ljansson -ljwt -lfiu -lssl -lcrypto -lz -lm -lpthread
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
HARNESS := $(BUILD)/harness
# How every sanitized binary runs: leaks reported, lws's own suppressed, and
# the ASan runtime preloaded ahead of libfiu's preload for POSIX faults.
ASAN_RT  = $(shell $(CC) -print-file-name=libasan.so)
SAN_ENV := ASAN_OPTIONS=detect_leaks=1 \
           LSAN_OPTIONS=suppressions=$(CURDIR)/fixtures/lsan.supp:print_suppressions=0
# The gateway make run judges: LeakSanitizer alone, so a leak in the message
# path fails the main job too (clause 5), for about 1.5x the plain run's time.
LSAN    := -fsanitize=leak -fno-omit-frame-pointer
LSAN_ENV := LSAN_OPTIONS=suppressions=$(CURDIR)/fixtures/lsan.supp:print_suppressions=0
GATEWAY_RUN := $(BUILD)/lsan/gateway
FIUCOUNT := $(BUILD)/libwsfault-fiucount.so
# A hung unit test fails instead of hanging CI (seconds, per binary).
UNIT_TIMEOUT ?= 300

GW_MAIN := harness/gateway/gw_main.c
GW_SRC  := $(filter-out $(GW_MAIN),$(wildcard harness/gateway/*.c))
# The judge's layers, lowest first (harness/README.md says which may use which).
HS_LAYERS := util wire scenario target judge output load cli
HS_MAIN := harness/cli/hs_main.c
HS_SRC  := $(filter-out $(HS_MAIN),$(wildcard $(HS_LAYERS:%=harness/%/*.c)))
TEST_SRC := $(wildcard harness/tests/test_*.c)
HDRS    := $(wildcard $(HS_LAYERS:%=harness/%/*.h) harness/gateway/*.h harness/common/* harness/tests/*.h)

# Object trees: plain and sanitized builds share sources, not objects.
obj      = $(patsubst harness/%.c,$(BUILD)/obj/%.o,$(1))
asanobj  = $(patsubst harness/%.c,$(BUILD)/asan/obj/%.o,$(1))
lsanobj  = $(patsubst harness/%.c,$(BUILD)/lsan/obj/%.o,$(1))

TESTS       := $(patsubst harness/tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
ASAN_TESTS  := $(patsubst harness/tests/%.c,$(BUILD)/asan/tests/%,$(TEST_SRC))

.PHONY: all deps run test unit unit-asan layers gateway-flags profiles reuse fastapi-selftest fail-fast suite third-party mutants report browser-check bench-report clean
.DEFAULT_GOAL := all
# Objects reached through pattern-rule chains are kept (and make test's output
# still ends with the suite's closing line, not a list of removed files).
.SECONDARY:

GEN_CONF := $(BUILD)/gen-conformance
CONF_DIR := scenarios/conformance/generated

all: deps $(BUILD)/gateway $(BUILD)/harness $(FIUCOUNT) $(CONF_DIR)/.generated

# Installs what is missing, once per build folder (apt-get update first).
NEED    := harness/tools/need.sh
deps: $(BUILD)/.deps
$(BUILD)/.deps:
	@mkdir -p $(BUILD)
	@$(NEED) packages $(PKGS) && touch $@

$(BUILD)/obj/%.o: harness/%.c $(HDRS) | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS) $(WARN) -c $< -o $@

$(BUILD)/asan/obj/%.o: harness/%.c $(HDRS) | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) -O1 -g $(SAN) $(WARN) -c $< -o $@

$(BUILD)/lsan/obj/%.o: harness/%.c $(HDRS) | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS) $(LSAN) $(WARN) -c $< -o $@

$(BUILD)/gateway: $(call obj,$(GW_MAIN) $(GW_SRC))
	$(CC) $(CFLAGS) $^ -o $@ $(LIBS)

$(BUILD)/harness: $(call obj,$(HS_MAIN) $(HS_SRC))
	$(CC) $(CFLAGS) $^ -o $@ $(LIBS)

# The fault counting library, preloaded into targets (harness/preload/): never
# sanitized, since it goes into programs that are not; only fiu_fail exported.
$(FIUCOUNT): harness/preload/wsf_fiucount.c harness/target/hs_fiucount.h | $(BUILD)/.deps
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS) $(WARN) -fPIC -shared -fvisibility=hidden -Wl,-z,defs $< -o $@ -ldl

# Its tests preload it into live targets: it is made first, never linked in.
$(BUILD)/tests/test_fiucount $(BUILD)/asan/tests/test_fiucount: | $(FIUCOUNT)

$(GEN_CONF): harness/gen/gen_conformance.c harness/wire/hs_deflate.c harness/wire/hs_deflate.h | $(BUILD)/.deps
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS) $(WARN) $(filter %.c,$^) -o $@ -ljansson -lz

# Generated conformance cases (ignored by git): rewritten whenever the generator changes.
$(CONF_DIR)/.generated: $(GEN_CONF)
	$(GEN_CONF) $(CONF_DIR)
	@touch $@

$(BUILD)/asan/gateway: $(call asanobj,$(GW_MAIN) $(GW_SRC))
	$(CC) $(SAN) $^ -o $@ $(LIBS)

$(GATEWAY_RUN): $(call lsanobj,$(GW_MAIN) $(GW_SRC))
	$(CC) $(LSAN) $^ -o $@ $(LIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(call obj,$(GW_SRC) $(HS_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $^ -o $@ $(LIBS) -lcmocka

$(BUILD)/asan/tests/%: $(BUILD)/asan/obj/tests/%.o $(call asanobj,$(GW_SRC) $(HS_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(SAN) $^ -o $@ $(LIBS) -lcmocka

# Unit tests print cmocka's own summary lines; a failing binary fails make.
# Each binary runs under `timeout`: 124 means it hung and was stopped.
# The live tests start build/gateway: build it first, or they skip.
unit: deps $(BUILD)/gateway $(TESTS)
	@rc=0; for t in $(TESTS); do timeout $(UNIT_TIMEOUT) $$t || { echo "$$t: exit $$?" >&2; rc=1; }; done; exit $$rc

unit-asan: deps $(BUILD)/gateway $(ASAN_TESTS)
	@rc=0; for t in $(ASAN_TESTS); do $(SAN_ENV) timeout $(UNIT_TIMEOUT) $$t || { echo "$$t: exit $$?" >&2; rc=1; }; done; exit $$rc

# The main job: the whole suite against the reference gateway, or with
# TARGET=fastapi the seed, degradation and security scenarios against the
# FastAPI gateway (the seeds' own stack), through its profile.
TARGET ?= reference
FASTAPI_CMD := /usr/bin/python3 fixtures/targets/fastapi/gateway.py --port {port} \
               --port-file {port_file} --fiu-ctrl {fiu_ctrl}
FASTAPI_RUN := --profile fixtures/targets/fastapi/profile.json --target-cmd '$(FASTAPI_CMD)' \
               scenarios/seeds scenarios/degradation scenarios/security scenarios/wire
RUN_reference = $(LSAN_ENV) $(HARNESS) --gateway $(GATEWAY_RUN) $(HARNESS_FLAGS) scenarios
RUN_fastapi = $(HARNESS) $(HARNESS_FLAGS) $(FASTAPI_RUN)

ifeq ($(RUN_$(TARGET)),)
run:
	@echo "make run: TARGET is reference (the default) or fastapi, not \"$(TARGET)\"" >&2; exit 2
else
run: all $(GATEWAY_RUN)
	@$(RUN_$(TARGET)); rc=$$?; \
	echo "report: reports/latest/index.html"; exit $$rc
endif

# Every #include against the layer table of harness/README.md, and every
# document a source names present in the repository.
layers:
	@harness/tools/check-layers.sh
	@harness/tools/check-docs.sh

# Rebuild the latest run's page from its saved results.
report: all
	$(HARNESS) report reports/latest/results.json

# How long a report takes to write for 10,000 cases, and how big it is.
$(BUILD)/bench_report: $(BUILD)/obj/tests/bench_report.o $(call obj,$(HS_SRC))
	$(CC) $(CFLAGS) $^ -o $@ $(LIBS)

bench-report: deps $(BUILD)/bench_report
	$(BUILD)/bench_report

bench: bench-report

# The report in a real browser: headless Chromium renders it, no test data runs.
browser-check: all
	HARNESS=$(HARNESS) harness/tests/browser_check.sh $(BUILD)/browser-check

# The suite against the sanitized gateway: a sanitizer report fails a case.
# With POSIX faults, the ASan runtime must be loaded before libfiu's preload.
suite: all $(BUILD)/asan/gateway
	$(SAN_ENV) $(HARNESS) --gateway $(BUILD)/asan/gateway --preload $(ASAN_RT) \
	  --out $(BUILD)/reports/suite --history $(BUILD)/reports/suite-history.jsonl $(HARNESS_FLAGS) scenarios

# The conformance cases against Debian's python3-websockets: no FAILED verdict allowed.
third-party: all
	HARNESS=$(HARNESS) HARNESS_FLAGS="$(HARNESS_FLAGS)" harness/tests/third_party_echo.sh

# The gateway's flags from outside: bad values refused, the address honoured.
gateway-flags: all
	@harness/tests/gateway_flags.sh $(BUILD)/gateway

# The judge follows the target's profile, and refuses a bad one.
profiles: all
	@HARNESS=$(HARNESS) harness/tests/profiles.sh

# The FastAPI target (the seeds' own stack) keeps its contract, and each of its
# seed mutants breaks it: its own self-test, until the scenarios speak profiles.
fastapi-selftest: deps
	@/usr/bin/python3 fixtures/targets/fastapi/selftest.py

# A target kept across cases is judged as strictly as a fresh one per case,
# and what breaks it is blamed on the case that broke it.
reuse: all
	@HARNESS=$(HARNESS) GATEWAY=$(BUILD)/gateway harness/tests/reuse.sh

# Targets that answer nothing: the run ends early with every case failed and why.
fail-fast: all
	@HARNESS=$(HARNESS) harness/tests/fail_fast.sh

# Each seed bug brought back in a patched copy of the gateway; the suite must catch it.
mutants: all $(GATEWAY_RUN)
	@CC="$(CC)" CFLAGS_MUT="$(CPPFLAGS_ALL) -O1 -g -w $(LSAN)" LIBS="$(LIBS)" HARNESS=$(HARNESS) \
	  GATEWAY=$(GATEWAY_RUN) $(LSAN_ENV) \
	  HARNESS_FLAGS="--step-timeout 1000 $(HARNESS_FLAGS)" fixtures/mutants/kill.sh

# The suite comes last so that the run ends with its "N passed, N failed" line.
test: layers unit unit-asan gateway-flags profiles reuse third-party fail-fast mutants browser-check soak-short soak-proof torture-short \
      fuzz-replay fuzz-cfl-build suite

clean:
	rm -rf $(BUILD) $(CONF_DIR)

# Fuzzing targets (make fuzz, fuzz-overnight, fuzz-triage, ...) live beside the targets.
-include fuzz/fuzz.mk

# Load, faults and cost: soak, torture walk, gateway benchmarks.
-include harness/load/bench.mk
