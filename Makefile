# Build, test and demo rffi. Needs only Rust, python3 (with venv and pip) and a C compiler:
# every Python tool comes from .venv, created here, and is called by path, never activated.

PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
BUILD := build

# Stamps live in the venv so that deleting .venv forgets what was installed into it.
VENV_STAMP := $(VENV)/.requirements-installed
RFFI_STAMP := $(VENV)/.rffi-built
RFFI_SOURCES := Cargo.toml Cargo.lock \
	$(shell find crates python -name '*.rs' -o -name '*.toml' -o -name '*.py' -o -name '*.pyi')

TESTLIB := $(BUILD)/libtestlib.so
TESTLIB_SOURCES := $(wildcard tests/c/*.c)
EXAMPLE_LIBS := $(patsubst docs/examples/%.c,$(BUILD)/examples/lib%.so,$(wildcard docs/examples/*.c))
EXAMPLES := $(wildcard docs/examples/*.py)
BENCHMARKS := $(wildcard python/benchmarks/*.py)
CLIB_FLAGS := -shared -fPIC -O2 -Wall

# `make demo BACKEND=cffi` runs the examples on cffi instead of rffi.
BACKEND ?= rffi

.PHONY: all venv build clibs demo test bench lint check-platforms clean distclean compat realpkgs fuzz \
	valgrind valgrind-quick test-pythons

all: build clibs

venv: $(VENV_STAMP)

$(VENV_STAMP): requirements-dev.txt
	test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

build: $(RFFI_STAMP)

# maturin develop installs rffi in editable form: python/ goes on the venv's path and the
# compiled rffi/_rffi*.so is written beside rffi/__init__.py. It runs in python/ because it
# finds pyproject.toml in its working directory (its -m option wants a Cargo.toml).
$(RFFI_STAMP): $(VENV_STAMP) $(RFFI_SOURCES)
	cd python && VIRTUAL_ENV=$(abspath $(VENV)) $(abspath $(VENV))/bin/maturin develop \
		--release --quiet
	touch $@

clibs: $(TESTLIB) $(EXAMPLE_LIBS)

$(TESTLIB): $(TESTLIB_SOURCES) tests/c/testlib.h
	@mkdir -p $(@D)
	$(CC) $(CLIB_FLAGS) -Wextra -pthread -o $@ $(TESTLIB_SOURCES) -lm

$(BUILD)/examples/lib%.so: docs/examples/%.c $(wildcard docs/examples/*.h)
	@mkdir -p $(@D)
	$(CC) $(CLIB_FLAGS) -pthread -o $@ $< -lm

demo: venv build clibs
	@set -e; for example in $(EXAMPLES); do \
		echo "== $$example ($(BACKEND))"; \
		RFFI_EXAMPLES_BACKEND=$(BACKEND) $(VPY) $$example; \
	done

# valgrind's quick subset and cffi's own suite run before the Python suite, which runs three
# times: with every fast path on, then with them all off (the general paths alone), then with
# every call forced through libffi (so pytest's summary is the last line).
test: venv build clibs valgrind-quick
	cargo test --workspace
	$(VPY) tests/compat/run_cffi_suite.py
	$(VPY) -m pytest -q tests/python
	RFFI_NO_FAST_PATHS=1 $(VPY) -m pytest -q tests/python
	RFFI_FORCE_LIBFFI=1 $(VPY) -m pytest -q tests/python

# CPython 3.13 and 3.14 (issue 13): tests/pythons/run.sh makes a Debian sid tree with both in
# ~/.cache/rffi/sid when it is missing (debootstrap, needs root), builds rffi for each there
# and runs the Python suite (three ways, as above) and the examples on each; .ci/run runs it
# (timings in the README). PYTHONS_ARGS="--quick 3.14" runs a fixed part on one of them.
PYTHONS_ARGS ?=
test-pythons: clibs
	tests/pythons/run.sh $(PYTHONS_ARGS)

# cffi's own ABI-mode test suite run against rffi (the sdist is fetched once into a cache):
# fails on a test that tests/compat/expected_failures.txt does not list. COMPAT_ARGS=--cffi
# runs it on the real cffi instead.
compat: venv build clibs
	$(VPY) tests/compat/run_cffi_suite.py $(COMPAT_ARGS)

# Test suites of real cffi packages on cffi and on rffi (downloads them; see tests/realpkgs).
# REALPKGS_ARGS="--repo-tests pyvips=DIR --repo-tests pangocffi=DIR" adds the two whose
# sdists lack part of their tests (see run.py).
REALPKGS_ARGS ?=
realpkgs: venv build
	$(VPY) tests/realpkgs/run.py $(REALPKGS_ARGS)

# Hostile input (tests/fuzz, issue 15): `make fuzz` runs the large corpus and fails on any
# crash, PanicException or hang; `make test` runs 1,000 cases of seed 1 inside pytest
# (tests/python/test_fuzz_smoke.py), which fails on any of them too.
FUZZ_SEED ?= 1
FUZZ_CASES ?= 20000

fuzz: venv build clibs
	$(VPY) tests/fuzz/run.py --seed $(FUZZ_SEED) --cases $(FUZZ_CASES)

# Valgrind over the lifetime tests and tests/valgrind/scripts (PYTHONMALLOC=malloc): any
# invalid read, write or free fails. CI machines are fresh: install valgrind when missing.
VALGRIND_INSTALL = command -v valgrind >/dev/null || \
	{ apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }

valgrind: venv build clibs
	@$(VALGRIND_INSTALL)
	$(VPY) tests/valgrind/run.py

valgrind-quick: venv build clibs
	@$(VALGRIND_INSTALL)
	$(VPY) tests/valgrind/run.py --quick

bench: venv build clibs
ifeq ($(BENCHMARKS),)
	@echo "no benchmarks yet: add scripts as python/benchmarks/*.py"
else
	@set -e; for bench in $(BENCHMARKS); do echo "== $$bench"; $(VPY) $$bench; done
endif

# ruff's rules are in ruff.toml (the venv brings ruff); tools/check_layers.py keeps the
# imports of crates/rffi-python/src going down its layers.
lint: venv
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace
	$(VPY) -m ruff check python tests docs/examples tools
	$(VPY) tools/check_layers.py

# The Rust crates (not the Python extension) for Windows and macOS: clippy
# only, with the system's libffi so that no C cross compiler is needed.
# `rustup target add x86_64-pc-windows-gnu x86_64-apple-darwin aarch64-apple-darwin` first.
PLATFORMS := x86_64-pc-windows-gnu x86_64-apple-darwin aarch64-apple-darwin
check-platforms:
	set -e; for t in $(PLATFORMS); do \
	  cargo clippy -p rffi-types -p rffi-call -p rffi --features libffi/system \
	    --target $$t --all-targets -- -D warnings; done

# Keeps .venv (slow to recreate) and cargo's target/ (use distclean for both).
clean:
	rm -rf $(BUILD) $(RFFI_STAMP) python/rffi/_rffi*.so
	find tests docs python -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) target
