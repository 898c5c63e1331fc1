# Fuzzing: targets, their builds, campaigns. Included from the top Makefile.
#
#   make fuzz-replay        replay every corpus and regression file (ASan+UBSan)
#   make fuzz               short AFL++ campaign per target (FUZZ_SECONDS, default 60)
#   make fuzz-overnight     HOURS=8 JOBS=<cores>: -M CmpLog, one ASan -S, the rest -S
#   make fuzz-status        progress of the campaigns under build/fuzz/out
#   make fuzz-triage        bucket crashes and hangs into fuzz/regressions/
#   make fuzz-bench         execs/s: persistent vs fork server vs libFuzzer
#   make fuzz-cfl-build     .clusterfuzzlite/build.sh with clang + libFuzzer
#   make fuzz-broken-demo   the fault-schedule target against a broken gateway
#                           (MUTANT=fixtures/mutants/X.patch, DEMO_SECONDS=300)
#   make fuzz-corpus        regenerate the seed corpora from scenarios/ and fixtures/
#
# FUZZ_TARGETS narrows any of them; FUZZ_OUT moves the AFL++ output folder;
# fuzz-overnight also reads FUZZ_INSTANCE_PREFIX and FUZZ_MAIN (several
# machines, see fuzz/scripts/overnight.sh).
#
# Every target is one LLVMFuzzerTestOneInput source (fuzz/targets/), built in
# several variants from the same objects:
#   replay     $(CC), ASan+UBSan, plain main (fuzz/replay_main.c)
#   afl        afl-clang-fast -fsanitize=fuzzer: persistent, shared-memory input
#   cmplog     the same with AFL_LLVM_CMPLOG (for the -M instance's -c)
#   asan       the same with AFL_USE_ASAN + AFL_USE_UBSAN
#   fork       afl-clang-fast with the plain main: one fork per input (@@)
#   libfuzzer  clang -fsanitize=fuzzer
# Binaries: build/fuzz/<variant>/<target>; AFL++ output:
# $(FUZZ_OUT)/<target>/<instance>/, by default build/fuzz/out (the report reads it).

ifndef FUZZ_MK_INCLUDED
FUZZ_MK_INCLUDED := 1

FUZZ_TARGETS ?= message fault_schedule frames scenario frame_decode
FUZZ_SECONDS ?= 60
FUZZ_BENCH_TARGET ?= message
BENCH_SECONDS ?= 20
HOURS        ?= 8

FZ        := $(BUILD)/fuzz
FZ_BIN    ?= $(FZ)
FUZZ_OUT  ?= $(FZ)/out
# libclang-rt-14-dev holds libFuzzer's runtime (only a recommendation of clang).
FZ_PKGS   := afl++ clang libclang-rt-14-dev zip
FZ_GW_DIR ?= harness/gateway

# Sources follow the code instead of a list kept by hand: every gateway
# module but the entry point, and for harness code the .c of each "LAYER/hs_*.h"
# a file includes, transitively ([[:punct:]] stands for the '#' that make
# would take for a comment).
FZ_GW = $(filter-out $(FZ_GW_DIR)/gw_main.c,$(wildcard $(FZ_GW_DIR)/*.c))
fz_hs_direct = $(sort $(wildcard $(patsubst %,harness/%.c,$(shell sed -n \
    's|^[[:space:]]*[[:punct:]]include "\([a-z]*/hs_[a-z0-9_]*\)\.h".*|\1|p' $(1) /dev/null))))
fz_hs_closure = $(if $(filter-out $(1),$(sort $(1) $(call fz_hs_direct,$(1)))),$\
    $(call fz_hs_closure,$(sort $(1) $(call fz_hs_direct,$(1)))),$(1))

FZ_SRC_message        = fuzz/targets/message.c fuzz/targets/fz_app.c $(FZ_GW)
FZ_SRC_fault_schedule = fuzz/targets/fault_schedule.c fuzz/targets/fz_app.c $(FZ_GW)
FZ_SRC_frames         = fuzz/targets/fz_app.c $(FZ_GW) $(call fz_hs_closure,fuzz/targets/frames.c)
FZ_SRC_scenario       = $(call fz_hs_closure,fuzz/targets/scenario.c)
FZ_SRC_frame_decode   = $(call fz_hs_closure,fuzz/targets/frame_decode.c)

FZ_DICT_message        := fuzz/dict/message.dict
FZ_DICT_fault_schedule := fuzz/dict/message.dict
FZ_DICT_frames         := fuzz/dict/frames.dict fuzz/dict/message.dict
FZ_DICT_scenario       := fuzz/dict/scenario.dict fuzz/dict/faults.dict
FZ_DICT_frame_decode   := fuzz/dict/frames.dict

# A patched copy of the gateway (fuzz-broken-demo) shadows the real headers.
FZ_CPPFLAGS = -I$(dir $(FZ_GW_DIR)) $(CPPFLAGS_ALL) -Ifuzz/targets

FZ_VARIANTS := replay afl cmplog asan fork libfuzzer

FZ_CC_replay      = $(CC)
FZ_CFLAGS_replay  = -O1 -g $(SAN)
FZ_LD_replay      = $(SAN)
FZ_MAIN_replay    = fuzz/replay_main.c
FZ_OBJ_replay     = replay

FZ_ENV_afl        = AFL_QUIET=1
FZ_CC_afl         = afl-clang-fast
FZ_CFLAGS_afl     = -O2 -g
FZ_LD_afl         = -fsanitize=fuzzer
FZ_OBJ_afl        = afl

FZ_ENV_cmplog     = AFL_QUIET=1 AFL_LLVM_CMPLOG=1
FZ_CC_cmplog      = afl-clang-fast
FZ_CFLAGS_cmplog  = -O2 -g
FZ_LD_cmplog      = -fsanitize=fuzzer
FZ_OBJ_cmplog     = cmplog

FZ_ENV_asan       = AFL_QUIET=1 AFL_USE_ASAN=1 AFL_USE_UBSAN=1
FZ_CC_asan        = afl-clang-fast
FZ_CFLAGS_asan    = -O1 -g -fno-omit-frame-pointer
FZ_LD_asan        = -fsanitize=fuzzer
FZ_OBJ_asan       = asan

# The fork server build shares the afl objects; only the main differs.
FZ_ENV_fork       = AFL_QUIET=1
FZ_CC_fork        = afl-clang-fast
FZ_MAIN_fork      = fuzz/replay_main.c
FZ_OBJ_fork       = afl

FZ_CC_libfuzzer     = clang
FZ_CFLAGS_libfuzzer = -O2 -g -fsanitize=fuzzer-no-link
FZ_LD_libfuzzer     = -fsanitize=fuzzer
FZ_OBJ_libfuzzer    = libfuzzer

fz_objs = $(patsubst %.c,$(FZ_BIN)/$(FZ_OBJ_$(1))/obj/%.o,$(2))
fz_bins = $(foreach t,$(FUZZ_TARGETS),$(FZ_BIN)/$(1)/$(t))
fz_dicts = $(foreach t,$(FUZZ_TARGETS),$(FZ_BIN)/dict/$(t).dict)

.PHONY: fuzz fuzz-deps fuzz-replay fuzz-overnight fuzz-status fuzz-triage \
        fuzz-cfl-build fuzz-bench fuzz-broken-demo fuzz-corpus fuzz-sources

# AFL++, clang (libFuzzer) and zip (ClusterFuzzLite seed archives), once.
fuzz-deps: deps $(FZ)/.deps
$(FZ)/.deps:
	@mkdir -p $(FZ)
	@$(NEED) packages $(FZ_PKGS) && touch $@

# One object rule per object tree; the replay tree needs no fuzzing package.
define FZ_OBJ_RULE
$$(FZ_BIN)/$(1)/obj/%.o: %.c $$(HDRS) $$(wildcard fuzz/targets/*.h) | $(2)
	@mkdir -p $$(@D)
	$$(FZ_ENV_$(1)) $$(FZ_CC_$(1)) $$(FZ_CPPFLAGS) $$(FZ_CFLAGS_$(1)) $$(WARN) -c $$< -o $$@
endef
$(eval $(call FZ_OBJ_RULE,replay,$(BUILD)/.deps))
$(foreach v,afl cmplog asan libfuzzer,$(eval $(call FZ_OBJ_RULE,$(v),$(BUILD)/.deps $(FZ)/.deps)))

define FZ_LINK_RULE
$$(FZ_BIN)/$(1)/$(2): $$(call fz_objs,$(1),$$(FZ_SRC_$(2)) $$(FZ_MAIN_$(1)))
	@mkdir -p $$(@D)
	$$(FZ_ENV_$(1)) $$(FZ_CC_$(1)) $$^ -o $$@ $$(FZ_LD_$(1)) $$(LIBS)
endef
$(foreach v,$(FZ_VARIANTS),$(foreach t,$(FUZZ_TARGETS),$(eval $(call FZ_LINK_RULE,$(v),$(t)))))

# AFL++ takes up to four -x; libFuzzer and ClusterFuzzLite take one file.
define FZ_DICT_RULE
$$(FZ_BIN)/dict/$(1).dict: $$(FZ_DICT_$(1))
	@mkdir -p $$(@D)
	cat $$^ > $$@
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call FZ_DICT_RULE,$(t))))

# Every corpus and regression input once through the sanitized build: quick,
# part of `make test`.
fuzz-replay: deps $(call fz_bins,replay)
	@rc=0; for t in $(FUZZ_TARGETS); do \
	  dirs=""; for d in fuzz/corpus/$$t fuzz/regressions/$$t; do [ -d $$d ] && dirs="$$dirs $$d"; done; \
	  printf 'fuzz-replay %-15s ' "$$t"; $(FZ_BIN)/replay/$$t $$dirs || rc=1; \
	done; exit $$rc

fuzz: fuzz-deps $(call fz_bins,asan) $(fz_dicts)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/scripts/campaign.sh $(FZ_BIN) $(FUZZ_OUT) $(FUZZ_TARGETS)

fuzz-overnight: fuzz-deps $(call fz_bins,afl) $(call fz_bins,cmplog) $(call fz_bins,asan) $(fz_dicts)
	@HOURS=$(HOURS) JOBS=$(JOBS) fuzz/scripts/overnight.sh $(FZ_BIN) $(FUZZ_OUT) $(FUZZ_TARGETS)

fuzz-status:
	@fuzz/scripts/status.sh $(FUZZ_OUT)

fuzz-triage: fuzz-deps $(call fz_bins,replay) $(call fz_bins,asan)
	@fuzz/scripts/triage.sh $(FZ_BIN) $(FUZZ_OUT) $(FUZZ_TARGETS)

fuzz-bench: fuzz-deps $(foreach v,afl fork libfuzzer asan,$(FZ_BIN)/$(v)/$(FUZZ_BENCH_TARGET)) \
            $(FZ_BIN)/dict/$(FUZZ_BENCH_TARGET).dict
	@BENCH_SECONDS=$(BENCH_SECONDS) fuzz/scripts/bench.sh $(FZ_BIN) $(FUZZ_BENCH_TARGET)

fuzz-broken-demo: fuzz-deps $(FZ_BIN)/dict/fault_schedule.dict
	@MAKE="$(MAKE)" fuzz/scripts/broken-demo.sh $(FZ)/broken $(MUTANT)

# The ClusterFuzzLite build, run here as CI would run it, then every binary
# once over its corpus (-runs=0 executes the inputs and stops).
fuzz-cfl-build: fuzz-deps
	@rm -rf $(BUILD)/cfl/out && mkdir -p $(BUILD)/cfl/out $(BUILD)/cfl/work
	@CC=clang CXX=clang++ \
	  CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address,undefined -fsanitize=fuzzer-no-link" \
	  LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=$(abspath $(BUILD)/cfl/out) \
	  WORK=$(abspath $(BUILD)/cfl/work) MAKE="$(MAKE)" bash .clusterfuzzlite/build.sh
	@rc=0; for t in $(FUZZ_TARGETS); do \
	  $(BUILD)/cfl/out/$$t -runs=0 fuzz/corpus/$$t >$(BUILD)/cfl/work/$$t.log 2>&1 \
	    && echo "fuzz-cfl-build $$t: built, corpus replayed" \
	    || { echo "fuzz-cfl-build $$t: FAILED (see $(BUILD)/cfl/work/$$t.log)"; rc=1; }; \
	done; exit $$rc

# The seed generator is a host tool built like the harness code, from its
# source and the harness modules it includes, with jansson alone; the seeds
# it writes are committed, so it runs on demand.
FZ_GEN_SRC = $(call fz_hs_closure,fuzz/gen_corpus.c)
$(FZ)/gen-corpus: $(FZ_GEN_SRC) $(HDRS) | $(BUILD)/.deps
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS) $(WARN) $(filter %.c,$^) -o $@ -ljansson -lm

fuzz-corpus: $(FZ)/gen-corpus
	$(FZ)/gen-corpus .

# What .clusterfuzzlite/build.sh needs to know, printed one fact per line.
fuzz-sources:
	@echo "cppflags $(CPPFLAGS_ALL) -Ifuzz/targets"
	@echo "libs $(LIBS)"
	@$(foreach t,$(FUZZ_TARGETS),echo "target $(t) $(FZ_SRC_$(t))";)
	@$(foreach t,$(FUZZ_TARGETS),echo "dict $(t) $(FZ_DICT_$(t))";)

endif
