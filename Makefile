# A thin driver over CMake + CTest. `make test` is what CI runs.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 5
# make install PREFIX=/usr DESTDIR=/tmp/pkg
PREFIX ?= /usr/local
DESTDIR ?=
RELEASE = -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=$(PREFIX)

.PHONY: all deps test test-release test-release-werror test-asan fuzz \
	fuzz-smoke bench bench-server demo tour install uninstall clean

all:
	cmake -S . -B build $(RELEASE) >/dev/null
	cmake --build build -j $(JOBS)

# Every package: building, running and testing (scripts/deps.sh --runtime
# is building and running only).
deps:
	@scripts/deps.sh

# The release build warning-free (-Werror, what `make` and `make install`
# compile), every test with -Werror, then the whole suite again under
# AddressSanitizer + UndefinedBehaviorSanitizer; then each fuzz harness for
# a few seconds over its corpus.
test: deps test-release-werror test-release test-asan fuzz-smoke

test-release-werror:
	cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DPADLOCK_WERROR=ON \
		-DPADLOCK_TESTS=OFF -DPADLOCK_BENCH=OFF >/dev/null
	cmake --build build-release -j $(JOBS) --target padlock_installable

test-release:
	cmake -S . -B build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPADLOCK_WERROR=ON >/dev/null
	cmake --build build-test -j $(JOBS)
	cd build-test && ctest --output-on-failure -j $(JOBS)

test-asan:
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPADLOCK_WERROR=ON -DPADLOCK_SANITIZE=ON -DPADLOCK_BENCH=OFF >/dev/null
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS)

build-fuzz/.built: FORCE
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPADLOCK_FUZZ=ON >/dev/null
	cmake --build build-fuzz -j $(JOBS)
	touch $@

fuzz-smoke: build-fuzz/.built
	scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS)

# A longer run: make fuzz FUZZ_SECONDS=600
fuzz: FUZZ_SECONDS = 120
fuzz: build-fuzz/.built
	scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS)

# Installs only what building and running padlock needs, builds only the
# padlock binary (quietly), runs padlock serve with no arguments and shows
# it answer curl and padlock get; from a terminal it keeps serving.
demo:
	@scripts/demo.sh

# The engine against OpenSSL's server, and curl against padlock's test server.
tour: deps all
	scripts/tour.sh

# bin/padlock, libpadlock (static, shared), its headers and padlock.pc,
# the man pages and the systemd unit, under $(DESTDIR)$(PREFIX).
install:
	cmake -S . -B build $(RELEASE) >/dev/null
	cmake --build build -j $(JOBS) --target padlock_installable
	DESTDIR="$(DESTDIR)" cmake --install build
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then ldconfig; fi

uninstall:
	cmake -S . -B build $(RELEASE) >/dev/null
	cmake --build build -j $(JOBS) --target padlock_installable >/dev/null
	DESTDIR="$(DESTDIR)" cmake --build build --target uninstall
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then ldconfig; fi

bench: all
	cmake --build build --target bench_handshake -j $(JOBS)
	taskset -c 0 build/bench_handshake

# padlock serve beside nginx, h2o and HAProxy (docs/benchmarks.md); installs
# them, wrk and h2load with apt-get when they are missing.
# BENCH_ARGS="--runs 5 --chart x.png"
bench-server: all
	cmake --build build --target padlock_cli bench_tls_load -j $(JOBS)
	python3 bench/server.py --build build $(BENCH_ARGS)

clean:
	rm -rf build build-test build-release build-asan build-fuzz

.PHONY: FORCE
FORCE:
