# Thin wrapper over the CMake presets; every target installs missing Debian packages first.
JOBS ?= $(shell nproc)

.PHONY: deps build demo demo-daemon test test-asan fuzz bench clean

deps:
	@scripts/install-deps

build: deps
	cmake --preset release -DDRIFT_BUILD_TESTS=OFF >/dev/null
	cmake --build --preset release -j $(JOBS)

demo: build
	@scripts/demo

demo-daemon: build
	@scripts/demo-daemon

test: deps
	cmake --preset debug >/dev/null
	cmake --build --preset debug -j $(JOBS)
	ctest --preset debug -j $(JOBS)

test-asan: deps
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan -j $(JOBS)

# libFuzzer targets, FUZZ_SECONDS each (default 60); a crash fails the run.
fuzz: deps
	scripts/fuzz $(FUZZ_SECONDS)

bench: build
	bench/run

clean:
	rm -rf build build-debug build-asan build-fuzz
