# The two commands of the README. Each installs what it needs first (tools/deps.sh).
JOBS ?= $(shell nproc)
REL := build/release
ASAN := build/asan

.PHONY: all deps deps-test build demo test clean

all: build

deps:
	@sh tools/deps.sh

# what only the tests use (headless Chromium for the report pages); never fails the build
deps-test:
	@sh tools/deps.sh test

build: deps
	@cmake -S . -B $(REL) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(REL) -j $(JOBS)

# The sanitizer build leaves CUDA out: the CUDA runtime is not built for AddressSanitizer.
asan: deps
	@cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Asan -DCMIMIC_CUDA=OFF >/dev/null
	@cmake --build $(ASAN) -j $(JOBS)

# Unit tests under AddressSanitizer + UBSan first, then every test on the Release build;
# the last line printed is ctest's summary of the full suite.
test: deps-test build asan
	@echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
	@cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1 ctest -L unit --output-on-failure --no-label-summary -j $(JOBS)
	@echo "== all tests (Release)"
	@cd $(REL) && ctest --output-on-failure --no-label-summary -j $(JOBS)

demo: build
	@bash tools/demo.sh $(REL)/cmimic

clean:
	rm -rf build
