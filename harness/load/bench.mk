# Load, faults and cost. Included from the top Makefile.
#
#   make soak          the full soak: 1,000 clients x 100 agent requests in 10
#                      rounds, 5 % application faults, 1 % ECONNRESET on the
#                      gateway's send(); figures in reports/soak.json
#   make soak-short    the variant inside make test: 500 clients x 20 requests
#                      in 4 rounds against the ASan gateway (a few seconds)
#   make soak-proof    the soak checker against gateways that lose or duplicate
#                      one event: it must fail naming the request
#   make torture       the torture walk over scenarios/seeds (TORTURE=...)
#   make torture-short the walk inside make test (a few seeds, about 10 s)
#   make bench-gateway figures in reports/bench.json (no pass/fail on time):
#                      the gateway's costs, a case's cost against the floor
#                      (targets kept and fresh), the FastAPI suite kept and
#                      fresh, and the fuzz targets' execs/s (bench-fuzz); a
#                      prerequisite of make bench, which other benchmarks
#                      join with their own `bench: ...` line (no recipe here)
#   make bench-fuzz    execs/s of the message and fault-schedule targets under
#                      each engine (BENCH_SECONDS each, default 20)
#
# SOAK_FLAGS and TORTURE_FLAGS pass extra options.

ifndef BENCH_MK_INCLUDED
BENCH_MK_INCLUDED := 1

BENCH_DIR   := $(BUILD)/bench
SOAK_SEED   ?= 1
SOAK_FLAGS  ?=
TORTURE     ?= scenarios/seeds
TORTURE_SHORT ?= scenarios/seeds/session-provider.json scenarios/seeds/deps-500.json \
                 scenarios/seeds/handler-leak.json
TORTURE_FLAGS ?=

.PHONY: soak soak-short soak-proof torture torture-short bench bench-gateway bench-fuzz

soak: all
	$(HARNESS) soak --seed $(SOAK_SEED) --out reports/soak.json \
	  --log reports/soak-gateway.log $(SOAK_FLAGS)

# A sanitizer runtime keeps freed memory in quarantine: memory is reported,
# not judged, here; the full soak judges it on the plain build.
soak-short: all $(BUILD)/asan/gateway
	$(SAN_ENV) $(HARNESS) soak --gateway $(BUILD)/asan/gateway --preload $(ASAN_RT) \
	  --clients 500 --requests 20 --rounds 4 --seed $(SOAK_SEED) --no-memory-check \
	  --out $(BUILD)/reports/soak-short.json --log $(BUILD)/reports/soak-short.log $(SOAK_FLAGS)

soak-proof: all
	@CC="$(CC)" CFLAGS_MUT="$(CPPFLAGS_ALL) -O1 -g -w" LIBS="$(LIBS)" \
	  harness/load/soak-proof.sh

torture: all
	$(HARNESS) --torture $(TORTURE_FLAGS) $(TORTURE)

torture-short: all $(BUILD)/asan/gateway
	$(SAN_ENV) $(HARNESS) --torture --gateway $(BUILD)/asan/gateway \
	  --preload $(ASAN_RT) --out $(BUILD)/reports/torture-short.json \
	  $(TORTURE_FLAGS) $(TORTURE_SHORT)

# Gateway builds compared by the benchmark: libfiu compiled out (FIU_ENABLE
# left undefined: fiu.h tests #ifdef, so -DFIU_ENABLE=0 would not do), and
# no fault points at all (a patched copy, like the mutants).
BENCH_CPPFLAGS := -D_GNU_SOURCE -Iharness -Iharness/common

$(BENCH_DIR)/nofiu/%.o: harness/%.c $(HDRS) | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CPPFLAGS) $(CFLAGS) $(WARN) -c $< -o $@

$(BENCH_DIR)/gateway-nofiu: $(patsubst harness/%.c,$(BENCH_DIR)/nofiu/%.o,$(GW_MAIN) $(GW_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $^ -o $@ $(LIBS)

$(BENCH_DIR)/gateway-nopoints: $(GW_MAIN) $(GW_SRC) $(HDRS) harness/bench/no-fault-points.patch
	@$(NEED) programs patch
	rm -rf $(BENCH_DIR)/nopoints && mkdir -p $(BENCH_DIR)/nopoints/src/harness
	cp -r harness/gateway harness/common $(BENCH_DIR)/nopoints/src/harness/
	cd $(BENCH_DIR)/nopoints/src && patch -s -p1 <$(CURDIR)/harness/bench/no-fault-points.patch
	$(CC) -D_GNU_SOURCE -I$(BENCH_DIR)/nopoints/src/harness \
	  -I$(BENCH_DIR)/nopoints/src/harness/common $(CFLAGS) -w \
	  $(BENCH_DIR)/nopoints/src/harness/gateway/*.c -o $@ $(LIBS)

$(BENCH_DIR)/bench: $(call obj,harness/bench/bench.c harness/bench/bench_cases.c $(HS_SRC) \
                                harness/gateway/gw_faults.c)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $^ -o $@ $(LIBS)

# The fuzz targets' figures come first: bench-gateway reads them.
BENCH_FUZZ_TARGETS := message fault_schedule
bench-fuzz:
	@for t in $(BENCH_FUZZ_TARGETS); do \
	  $(MAKE) --no-print-directory fuzz-bench FUZZ_BENCH_TARGET=$$t || exit 1; done

bench-gateway: all $(GATEWAY_RUN) $(BENCH_DIR)/bench $(BENCH_DIR)/gateway-nofiu \
               $(BENCH_DIR)/gateway-nopoints bench-fuzz
	$(LSAN_ENV) $(BENCH_DIR)/bench --out reports/bench.json --judged $(GATEWAY_RUN) \
	  --fastapi-cmd '$(FASTAPI_CMD)' --fuzz-dir $(FZ_BIN)/bench $(BENCH_FLAGS)

bench: bench-gateway

endif
