# raftsim — the user-facing entry point. On a fresh Debian 12:
#
#   make run    install what is missing, build (release preset), run the default scenario
#   make test   install what is missing, build (release preset), run every test
#   make help   list all targets and the variables you can override
#
# The build itself is CMake (CMakePresets.json); this file only strings the steps together.
# Build trees live in build/<preset>/.

SHELL := /bin/bash
.DEFAULT_GOAL := build
# One step after another; ninja does the parallel work (its default: cores + 2 jobs).
.NOTPARALLEL:

CMAKE        ?= cmake
CTEST        ?= ctest
CLANG_FORMAT ?= clang-format
# The preset that build/run/test/bench use.
PRESET       ?= release
BUILD_DIR    := build/$(PRESET)
# Extra -D options for the configure step, e.g. CMAKE_ARGS='-DRAFT_BUILD_EXAMPLES=OFF'.
CMAKE_ARGS   ?=
# Extra arguments for ctest, e.g. CTEST_ARGS='-R Paper -V'.
CTEST_ARGS   ?=
# What `make run` runs.
RUN_CMD      ?= $(BUILD_DIR)/bin/raftsim run sim/scenarios/coordinator-failover.yaml
# Benchmarks `make bench` runs; empty means every $(BUILD_DIR)/bench/*_bench, found after the
# build. BENCH_ARGS go to each, e.g. BENCH_ARGS='--benchmark_filter=Propose'.
BENCHES      ?=
BENCH_ARGS   ?=
# Sanitizer runtime options for `make test-asan` / `make test-tsan`.
ASAN_OPTIONS  ?= detect_leaks=1:abort_on_error=1
UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1
TSAN_OPTIONS  ?= halt_on_error=1:second_deadlock_stack=1
# Directories `make format` / `make format-check` cover (*.h and *.cc in them).
FORMAT_DIRS  := raft sim transport tests bench examples

# -Werror when CI=true (CI exports it) or when asked for with RAFT_WERROR=ON.
ifneq ($(filter true,$(CI))$(filter ON on 1 TRUE true,$(RAFT_WERROR)),)
  WERROR := ON
else
  WERROR := OFF
endif

# $(call configure,PRESET,ARGS): run `cmake --preset PRESET ARGS` when build/PRESET has not
# been configured yet, or was configured with different ARGS (the Makefile remembers them in
# build/PRESET/.make-configure-args). Otherwise do nothing: the build re-runs cmake by itself
# when a CMakeLists.txt changes.
define configure
	@dir='build/$(1)'; args='$(strip $(2))'; \
	if [ ! -f "$$dir/CMakeCache.txt" ] || [ ! -f "$$dir/build.ninja" ] || \
	   [ "$$(cat "$$dir/.make-configure-args" 2>/dev/null)" != "$$args" ]; then \
	  rm -f "$$dir/.make-configure-args" && \
	  echo "$(CMAKE) --preset $(1) $$args" && \
	  $(CMAKE) --preset $(1) $$args && \
	  printf '%s\n' "$$args" > "$$dir/.make-configure-args"; \
	fi
endef

.PHONY: build deps run test bench test-asan test-tsan format format-check clean help

build: deps ## Install missing packages, configure (once) and build the release preset
	$(call configure,$(PRESET),-DRAFT_WERROR=$(WERROR) $(CMAKE_ARGS))
	$(CMAKE) --build --preset $(PRESET)

deps: ## Install the missing Debian packages (scripts/install-deps.sh; silent when none)
	@bash scripts/install-deps.sh

run: build ## Build, then run the default scenario (RUN_CMD)
	$(RUN_CMD)

test: build ## Build, then run every test with ctest (output on failure, 2 jobs)
	$(CTEST) --preset $(PRESET) $(CTEST_ARGS)

bench: build ## Build, then run every Google Benchmark executable in build/<preset>/bench/
	@ran=0; \
	for b in $(or $(BENCHES),$(BUILD_DIR)/bench/*_bench); do \
	  [ -f "$$b" ] && [ -x "$$b" ] || continue; \
	  echo "==== $$b"; \
	  "$$b" $(BENCH_ARGS) || exit 1; \
	  ran=$$((ran + 1)); \
	done; \
	if [ "$$ran" -eq 0 ]; then echo "bench: no *_bench executable in $(BUILD_DIR)/bench/" >&2; exit 1; fi

test-asan: deps ## Configure, build and test the asan-ubsan preset (ASan + UBSan, -O1)
	$(call configure,asan-ubsan,$(CMAKE_ARGS))
	$(CMAKE) --build --preset asan-ubsan
	ASAN_OPTIONS='$(ASAN_OPTIONS)' UBSAN_OPTIONS='$(UBSAN_OPTIONS)' \
	  $(CTEST) --preset asan-ubsan $(CTEST_ARGS)

test-tsan: deps ## Configure, build and test the tsan preset (ThreadSanitizer, -O1)
	$(call configure,tsan,$(CMAKE_ARGS))
	$(CMAKE) --build --preset tsan
	TSAN_OPTIONS='$(TSAN_OPTIONS)' $(CTEST) --preset tsan $(CTEST_ARGS)

# The files to format: every *.h and *.cc under the FORMAT_DIRS that exist.
format_find = dirs='$(wildcard $(FORMAT_DIRS))'; [ -z "$$dirs" ] || \
  find $$dirs -type f \( -name '*.h' -o -name '*.cc' \) -print0 | sort -z
format_tool = command -v $(CLANG_FORMAT) >/dev/null || \
  { echo "$(CLANG_FORMAT) not found: apt-get install clang-format" >&2; exit 1; }

format: ## Reformat every *.h/*.cc in place with clang-format (.clang-format)
	@$(format_tool); $(format_find) | xargs -0 -r $(CLANG_FORMAT) -i

format-check: ## Fail if any *.h/*.cc is not clang-formatted (changes nothing)
	@$(format_tool); set -o pipefail; $(format_find) | xargs -0 -r $(CLANG_FORMAT) --dry-run -Werror

clean: ## Delete every build tree (build/)
	rm -rf build

help: ## List the targets and the variables you can override
	@echo "Targets:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN { FS = ":.*## " } { printf "  %-13s %s\n", $$1, $$2 }'
	@echo "Variables: PRESET=$(PRESET) CMAKE_ARGS CTEST_ARGS RUN_CMD BENCHES BENCH_ARGS"
	@echo "           RAFT_WERROR=ON (implied by CI=true) CLANG_FORMAT=$(CLANG_FORMAT)"
