# moat - one GNU Makefile.
#
#   make            library (static and shared) and the moat command
#   make test       every test, built with AddressSanitizer and UBSan
#   make bench      benchmarks; results go to bench/RESULTS.md by hand
#   make fuzz       clang libFuzzer targets (FUZZ_SECONDS each)
#   make demo       install what is missing, build, run on examples/
#   make gate       Azurite behind nginx with the moat module, example estate
#   make module     the nginx module alone (make builds it with nginx-dev)
#   make install    PREFIX=/usr/local DESTDIR= (mk/install.mk, docs/install.md)
#   make deb        Debian packages in build/deb/
#
# Objects go to build/ (release) and build/asan/ (sanitized tests).

CC       ?= cc
CLANG    ?= clang
PYTHON   ?= python3
OPT      ?= -O2 -g
WARN      = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wpointer-arith -Wformat=2 -Wundef \
            -Wvla -Wwrite-strings
STD       = -std=c11 -D_POSIX_C_SOURCE=200809L
# The library's layers (docs/ARCHITECTURE.md), in the order they may use
# each other; the command's subfolders.
LIB_DIRS  = src/base src/estate src/engine src/reach src/audit src/replay \
            src/doc
CLI_DIRS  = cli cli/audit cli/replay cli/manage
INC       = -Iinclude -Isrc $(addprefix -I,$(LIB_DIRS)) -Ibuild/gen -Ifront \
            $(addprefix -I,$(CLI_DIRS)) -Iserve -Itool
LIB_CFLAGS = -DMOAT_BUILDING -fvisibility=hidden -fPIC
# gzip logs are inflated with Intel's ISA-L (igzip, libisal-dev, which
# scripts/deps installs) when it is there, with zlib otherwise
# (cli/replay/replay_source.c).
ifneq ($(wildcard /usr/include/isa-l/igzip_lib.h),)
STD      += -DMOAT_HAVE_ISAL
ISAL_LIBS = -lisal
endif
SAN       = -fsanitize=address,undefined -fno-sanitize-recover=all \
            -fno-omit-frame-pointer
LDLIBS   ?=

# One short line per file built; V=1 shows the commands.
V ?= 0
ifeq ($(V),1)
Q :=
say = @:
else
Q := @
say = @printf '  %-6s %s\n' '$(1)' '$(2)'
endif

B        := build
A        := build/asan
LIB_SRC  := $(sort $(wildcard src/*.c $(addsuffix /*.c,$(LIB_DIRS)))) \
            $(B)/gen/catalog_data.c \
            $(B)/gen/region_pairs.c
LIB_OBJ  := $(patsubst %.c,$(B)/obj/%.o,$(LIB_SRC:$(B)/gen/%=gen/%))
ALIB_OBJ := $(patsubst %.c,$(A)/obj/%.o,$(LIB_SRC:$(B)/gen/%=gen/%))
FRONT_SRC := $(sort $(wildcard front/*.c))
# tool/: what the command line, serve, fuzz and bench share, on
# include/moat.h alone (arguments, estate loading, files, JMESPath for
# --query).
TOOL_SRC := $(sort $(wildcard tool/*.c))
SERVE_SRC := $(sort $(wildcard serve/*.c))
# What the fuzz targets need besides the library and tool/: serve's
# endpoints, and replay's input reader (the gzip target).
SERVE_FUZZ_SRC := $(filter-out serve/serve_main.c serve/serve_http.c,\
                    $(SERVE_SRC)) cli/replay/replay_source.c
CLI_SRC  := $(sort $(wildcard $(addsuffix /*.c,$(CLI_DIRS)))) $(FRONT_SRC) \
            $(SERVE_SRC) \
            $(TOOL_SRC)
CLI_OBJ  := $(patsubst %.c,$(B)/obj/%.o,$(CLI_SRC))
ACLI_OBJ := $(patsubst %.c,$(A)/obj/%.o,$(CLI_SRC))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c tests/unit/*/test_*.c))
HDRS     := include/moat.h $(wildcard src/*.h $(addsuffix /*.h,$(LIB_DIRS))) \
            $(wildcard $(addsuffix /*.h,$(CLI_DIRS))) \
            $(wildcard front/*.h) $(wildcard serve/*.h) $(wildcard tool/*.h)

.PHONY: all module gate test unit jmespath-test cli-test reach-test manage-test serve-test audit-test replay-test e2e-test security-test conformance realworld fuzz-replay bench fuzz \
        demo clean check-symbols check-layers deps shared-sync

all: $(B)/libmoat.a $(B)/libmoat.so $(B)/moat

# The nginx module, whenever Debian's nginx-dev is installed.
NGINX_SRC ?= /usr/share/nginx/src
ifneq ($(wildcard $(NGINX_SRC)/conf_flags),)
all: module
endif

# ---- generated sources ------------------------------------------------------
$(B)/gen/catalog_data.c: data/trusted-services.tsv scripts/gen-catalog.sh
	@mkdir -p $(@D)
	$(call say,GEN,$@)
	$(Q)scripts/gen-catalog.sh $< > $@.tmp && mv $@.tmp $@

$(B)/gen/region_pairs.c: data/region-pairs.tsv scripts/gen-regions.sh
	@mkdir -p $(@D)
	$(call say,GEN,$@)
	$(Q)scripts/gen-regions.sh $< > $@.tmp && mv $@.tmp $@

# ---- release build ----------------------------------------------------------
$(B)/obj/gen/%.o: $(B)/gen/%.c $(HDRS)
	@mkdir -p $(@D)
	$(call say,CC,$<)
	$(Q)$(CC) $(STD) $(OPT) $(WARN) $(INC) $(LIB_CFLAGS) -c $< -o $@

$(B)/obj/src/%.o: src/%.c $(HDRS)
	@mkdir -p $(@D)
	$(call say,CC,$<)
	$(Q)$(CC) $(STD) $(OPT) $(WARN) $(INC) $(LIB_CFLAGS) -c $< -o $@

$(B)/obj/cli/%.o: cli/%.c $(HDRS)
	@mkdir -p $(@D)
	$(call say,CC,$<)
	$(Q)$(CC) $(STD) $(OPT) $(WARN) $(INC) -c $< -o $@

$(B)/obj/front/%.o: front/%.c $(HDRS)
	@mkdir -p $(@D)
	$(call say,CC,$<)
	$(Q)$(CC) $(STD) $(OPT) $(WARN) $(INC) -c $< -o $@

$(B)/obj/serve/%.o: serve/%.c $(HDRS)
	@mkdir -p $(@D)
	$(call say,CC,$<)
	$(Q)$(CC) $(STD) $(OPT) $(WARN) $(INC) -c $< -o $@

$(B)/obj/tool/%.o: tool/%.c $(HDRS)
	@mkdir -p $(@D)
	$(call say,CC,$<)
	$(Q)$(CC) $(STD) $(OPT) $(WARN) $(INC) -c $< -o $@

$(B)/libmoat.a: $(LIB_OBJ)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/libmoat.so: $(LIB_OBJ)
	$(call say,LD,$@)
	$(Q)$(CC) -shared -Wl,-soname,$(SONAME) -o $@ $^ $(LDLIBS)

# The command adds zlib and ISA-L (gzip logs), cJSON (replay --merge, tokens),
# OpenSSL (tokens), h2o (moat serve) and threads; the library needs none
# of them.
CLI_LIBS = -lz $(ISAL_LIBS) -lcjson -lh2o-evloop -lssl -lcrypto -lpthread -lm

$(B)/moat: $(CLI_OBJ) $(B)/libmoat.a
	$(call say,LD,$@)
	$(Q)$(CC) $(OPT) -o $@ $(CLI_OBJ) $(B)/libmoat.a $(LDLIBS) $(CLI_LIBS)

# ---- the nginx module (nginx/, docs/gate.md) ----------------------------------
module: $(B)/ngx_http_moat_module.so

$(B)/ngx_http_moat_module.so: nginx/ngx_http_moat_module.c nginx/config \
    $(FRONT_SRC) $(HDRS) $(B)/libmoat.a scripts/build-nginx-module.sh \
    nginx/exports.map
	$(call say,MODULE,$@)
	$(Q)NGINX_SRC=$(NGINX_SRC) scripts/build-nginx-module.sh

# ---- sanitized build for tests ----------------------------------------------
$(A)/obj/gen/%.o: $(B)/gen/%.c $(HDRS)
	@mkdir -p $(@D)
	$(call say,CC,$<)
	$(Q)$(CC) $(STD) -O1 -g $(WARN) $(INC) $(LIB_CFLAGS) $(SAN) -c $< -o $@

$(A)/obj/src/%.o: src/%.c $(HDRS)
	@mkdir -p $(@D)
	$(call say,CC,$<)
	$(Q)$(CC) $(STD) -O1 -g $(WARN) $(INC) $(LIB_CFLAGS) $(SAN) -c $< -o $@

$(A)/obj/%.o: %.c $(HDRS)
	@mkdir -p $(@D)
	$(call say,CC,$<)
	$(Q)$(CC) $(STD) -O1 -g $(WARN) $(INC) $(SAN) -c $< -o $@

$(A)/libmoat.a: $(ALIB_OBJ)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(A)/moat: $(ACLI_OBJ) $(A)/libmoat.a
	$(call say,LD,$@)
	$(Q)$(CC) $(SAN) -o $@ $(ACLI_OBJ) $(A)/libmoat.a $(LDLIBS) $(CLI_LIBS)

# Unit tests reach static functions by including the module they test.
$(A)/unit: $(UNIT_SRC) $(FRONT_SRC) $(TOOL_SRC) tests/unit/harness.h \
    tests/unit/main.c $(A)/libmoat.a $(HDRS)
	@mkdir -p $(@D)
	$(call say,LD,$@)
	$(Q)$(CC) $(STD) -O1 -g $(WARN) -Wno-missing-prototypes $(INC) -Itests/unit \
	    $(SAN) -o $@ tests/unit/main.c $(UNIT_SRC) $(FRONT_SRC) $(TOOL_SRC) \
	    $(A)/libmoat.a -lcjson -lcrypto -lm $(LDLIBS)

$(A)/fuzz-replay: fuzz/replay.c $(wildcard fuzz/fuzz_*.c) $(FRONT_SRC) \
    $(SERVE_FUZZ_SRC) $(TOOL_SRC) $(A)/libmoat.a $(HDRS)
	$(call say,LD,$@)
	$(Q)$(CC) $(STD) -O1 -g $(WARN) -Wno-missing-prototypes $(INC) $(SAN) \
	    -o $@ fuzz/replay.c $(FRONT_SRC) $(SERVE_FUZZ_SRC) $(TOOL_SRC) \
	    $(A)/libmoat.a -lcjson -lcrypto -lz $(ISAL_LIBS) -lpthread -lm \
	    $(LDLIBS)

# The JMESPath engine alone, for its compliance and differential tests.
$(A)/jp_check: tests/jmespath/jp_check.c $(TOOL_SRC) $(A)/libmoat.a $(HDRS)
	@mkdir -p $(@D)
	$(call say,LD,$@)
	$(Q)$(CC) $(STD) -O1 -g $(WARN) $(INC) $(SAN) -o $@ \
	    tests/jmespath/jp_check.c $(TOOL_SRC) $(A)/libmoat.a -lm $(LDLIBS)

# ---- tests ------------------------------------------------------------------
# make test makes no network calls: the test peers' npm packages are
# installed once by scripts/deps, which marks each folder it installed
# (node_modules/.installed).
define npm_missing
@echo "$(@D:/node_modules=): npm packages missing or older than its package-lock.json: run scripts/deps (make test does not fetch)" >&2; exit 1
endef

SHARED ?= $(firstword $(wildcard ../shared) tests/shared)

test: unit jmespath-test cli-test reach-test manage-test serve-test audit-test replay-test e2e-test \
      security-test conformance realworld fuzz-replay check-symbols check-layers
	@echo "make test: all passed"

unit: $(A)/unit
	$(A)/unit

cli-test: $(A)/moat
	MOAT=$(A)/moat tests/cli/run.sh
	MOAT=$(A)/moat tests/cli/output.sh

# --query's JMESPath: every case of the official compliance suite, then
# random expressions on random documents against Debian's python3-jmespath
# (JP_DIFF_CASES of them, seeded; JMESPATH_PYTHON, the interpreter that has
# it); then -o's formats on random results against what az's libraries
# print (python3-tabulate, python3-yaml, python3-pygments).
JMESPATH_PYTHON ?= /usr/bin/python3
JP_DIFF_CASES ?= 10000
jmespath-test: $(A)/jp_check
	$(A)/jp_check --compliance $(SHARED)/realworld/jmespath-compliance/*.json
	$(JMESPATH_PYTHON) tests/jmespath/differential.py --jp $(A)/jp_check \
	    --cases $(JP_DIFF_CASES)
	$(JMESPATH_PYTHON) tests/jmespath/output_diff.py --jp $(A)/jp_check

# The az-style commands: every command and error, concurrent writers, a
# crash before the rename (a preloaded rename() that kills), and the az
# sequences recorded against Azure replayed with moat's rule sets compared.
manage-test: $(A)/moat $(B)/test/crash_rename.so
	MOAT=$(A)/moat CRASH_SO=$(abspath $(B)/test/crash_rename.so) \
	    tests/cli/manage.sh
	MOAT=$(A)/moat tests/cli/manage_nsp.sh
	$(PYTHON) tests/manage/recordings.py --moat $(A)/moat \
	    $(SHARED)/realworld/azure-cli-recordings

$(B)/test/crash_rename.so: tests/manage/crash_rename.c
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) -shared -fPIC -O1 -Wall -Wextra -Werror -o $@ $<

# moat serve with real clients: curl, Envoy's ext_authz exchange, nginx
# auth_request, reloads under load, slow clients, graceful shutdown, and the
# conformance cases through /v1/check (tests/serve/run.py).
serve-test: $(A)/moat
	$(PYTHON) tests/serve/run.py --moat $(A)/moat --shared $(SHARED)

# The audit: Checkov's fixtures, posture-tools.md section 5, 40 real ARM
# templates and the fixtures of templates and Terraform (nothing declared is
# silently lost), the dependency edges (tests/audit/deps.py), the CLI (its
# SARIF validated against the 2.1.0 schema with ajv from npm), and the HTML
# page in headless Chromium (tests/audit/html.py: its DOM against the JSON
# report, with Graphviz and without; screenshots in build/html/; the browser
# part skipped with a message when chromium is missing).
audit-test: $(A)/moat tests/sarif/node_modules/.installed
	$(PYTHON) tests/audit/checkov.py --moat $(A)/moat \
	    $(SHARED)/realworld/checkov-fixtures
	$(PYTHON) tests/audit/posture.py --moat $(A)/moat
	$(PYTHON) tests/audit/templates.py --moat $(A)/moat --shared $(SHARED)
	$(PYTHON) tests/audit/deps.py --moat $(A)/moat
	MOAT=$(A)/moat tests/cli/audit.sh
	$(PYTHON) tests/audit/html.py --moat $(A)/moat --out-dir $(B)/html

tests/sarif/node_modules/.installed: tests/sarif/package.json \
    tests/sarif/package-lock.json
	$(npm_missing)

# moat reach and moat diff (docs/reach.md): formats, exposure, the CI
# gate, a Terraform plan; the diff's SARIF validated with ajv from npm.
reach-test: $(A)/moat tests/sarif/node_modules/.installed
	MOAT=$(A)/moat tests/cli/reach.sh

# Replay against ground truth: generated logs in every format, moat check,
# shards merged (tests/replay/run.py); the samples Azure and others
# published (tests/replay/published/README.md); every way a log comes in
# (file, gzip, pipe, stdin past its start; one or two threads) giving one
# answer (tests/replay/input.py); shards mapped over a local
# Dask cluster of worker processes and merged (Debian's python3-distributed
# under DASK_PYTHON; skipped, saying so, without it).
DASK_PYTHON ?= /usr/bin/python3
replay-test: $(A)/moat
	$(PYTHON) tests/replay/run.py --moat $(A)/moat
	$(PYTHON) tests/replay/nsp.py --moat $(A)/moat
	$(PYTHON) tests/replay/suggest.py --moat $(A)/moat
	$(PYTHON) tests/explain/run.py --moat $(A)/moat
	$(PYTHON) tests/replay/published.py --moat $(A)/moat
	$(PYTHON) tests/replay/input.py --moat $(A)/moat
	$(DASK_PYTHON) tests/replay/dask_replay.py --moat $(A)/moat

# The nginx gate with real components: nginx, Azurite and the Azure SDK
# from npm (tests/e2e/run.sh).
e2e-test: $(B)/ngx_http_moat_module.so $(A)/moat tests/e2e/node_modules/.installed
	MOAT=$(A)/moat tests/e2e/run.sh

tests/e2e/node_modules/.installed: tests/e2e/package.json \
    tests/e2e/package-lock.json
	$(npm_missing)

# The security regressions, one file per defence (tests/security/run.sh):
# bypasses of a deny, memory safety, data lost or misread without a word.
security-test: $(A)/moat $(B)/ngx_http_moat_module.so
	MOAT=$(A)/moat MODULE=$(abspath $(B)/ngx_http_moat_module.so) \
	    tests/security/run.sh

conformance: $(A)/moat
	$(PYTHON) tests/conformance.py --moat $(A)/moat $(SHARED)/conformance

realworld: $(A)/moat
	$(PYTHON) tests/realworld.py --moat $(A)/moat $(SHARED)/realworld

fuzz-replay: $(A)/fuzz-replay
	$(A)/fuzz-replay fuzz/corpus

# The layers of docs/ARCHITECTURE.md, on the objects' symbols: no use the
# table forbids, no cycle between folders, nothing exported without moat_
# (library and nginx module), no library function over 80 lines.
LAYER_OBJ := $(LIB_OBJ) $(CLI_OBJ)
LAYER_EXPORTS := $(B)/libmoat.so
ifneq ($(wildcard $(NGINX_SRC)/conf_flags),)
LAYER_EXPORTS += $(B)/ngx_http_moat_module.so
endif
check-layers: $(LAYER_OBJ) $(LAYER_EXPORTS)
	@$(PYTHON) scripts/check-layers.py $(addprefix --objects ,$(LAYER_OBJ)) \
	    $(if $(filter %module.so,$(LAYER_EXPORTS)),--objects $(B)/nginx/src/objs/addon) \
	    $(addprefix --export ,$(LAYER_EXPORTS)) $(addprefix --sources ,$(LIB_DIRS))

# Every exported symbol of the shared library carries the moat_ prefix.
check-symbols: $(B)/libmoat.so
	@bad=$$(nm -D --defined-only $< | awk '$$2 ~ /[TDBR]/ {print $$3}' | \
	    grep -v '^moat_' | grep -v '^_' || true); \
	if [ -n "$$bad" ]; then echo "exported without moat_: $$bad"; exit 1; fi; \
	echo "check-symbols: ok"

# ---- benchmarks and fuzzing -------------------------------------------------
bench: $(B)/moat $(B)/bench
	bench/run.sh

$(B)/bench: bench/bench.c $(TOOL_SRC) $(B)/libmoat.a $(HDRS)
	$(call say,LD,$@)
	$(Q)$(CC) $(STD) -O2 -g $(WARN) -Wno-missing-prototypes $(INC) -o $@ \
	    bench/bench.c $(TOOL_SRC) $(B)/libmoat.a $(LDLIBS) -lcjson -lm

FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_SRC     := $(LIB_SRC) $(FRONT_SRC) $(SERVE_FUZZ_SRC) $(TOOL_SRC)
# The largest input per target: as large as what the target really takes
# (a request body up to --max-body, an estate or log file), so that bugs
# that need a big input (a /v1/check answer outgrowing the worker's 64 KiB
# buffer) are reachable; 64 KiB for headers, tokens and request objects.
FUZZ_MAX_LEN_DEFAULT := 65536
FUZZ_MAX_LEN_serve   := 1048576
FUZZ_MAX_LEN_json    := 1048576
FUZZ_MAX_LEN_estate  := 1048576
FUZZ_MAX_LEN_doc     := 1048576
FUZZ_MAX_LEN_log     := 1048576
FUZZ_MAX_LEN_scan    := 1048576
FUZZ_MAX_LEN_plan    := 1048576
FUZZ_MAX_LEN_reach   := 1048576
fuzz_max_len = $(or $(FUZZ_MAX_LEN_$(1)),$(FUZZ_MAX_LEN_DEFAULT))

# One target built and run ($(1)); `make fuzz FUZZ_TARGETS=serve` runs one.
define fuzz_one
	$(CLANG) $(STD) -O1 -g $(INC) -DMOAT_FUZZ_MAIN=0 \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    -o $(B)/fuzz/$(1) fuzz/fuzz_$(1).c $(FUZZ_SRC) \
	    -lcjson -lcrypto -lz $(ISAL_LIBS) -lpthread -lm
	@mkdir -p $(B)/fuzz/corpus-$(1)
	@echo "fuzzing $(1) for $(FUZZ_SECONDS)s, inputs up to $(call fuzz_max_len,$(1)) bytes"
	$(B)/fuzz/$(1) -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=$(call fuzz_max_len,$(1)) $(B)/fuzz/corpus-$(1) fuzz/corpus/$(1)

endef

fuzz: $(B)/gen/catalog_data.c $(B)/gen/region_pairs.c
	@mkdir -p $(B)/fuzz
	$(foreach t,$(FUZZ_TARGETS),$(call fuzz_one,$(t)))

# ---- a local gate: Azurite behind nginx with the module (docs/gate.md) -------
gate:
	scripts/gate.sh

# ---- the first command of the README ----------------------------------------
demo:
	scripts/deps
	$(MAKE) all
	scripts/demo.sh

deps:
	scripts/deps

# Refresh tests/shared from ../shared (the authoritative copy).
shared-sync:
	rm -rf tests/shared/conformance tests/shared/realworld/rest-api-examples \
	    tests/shared/realworld/azure-cli-recordings \
	    tests/shared/realworld/checkov-fixtures \
	    tests/shared/realworld/jmespath-compliance
	cp -r ../shared/conformance tests/shared/
	cp -r ../shared/realworld/rest-api-examples \
	    ../shared/realworld/azure-cli-recordings \
	    ../shared/realworld/checkov-fixtures \
	    ../shared/realworld/jmespath-compliance tests/shared/realworld/

clean:
	rm -rf $(B)

include mk/install.mk
