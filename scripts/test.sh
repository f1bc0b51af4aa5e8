#!/bin/bash
# test.sh - the whole test suite, as CI runs it:
#   1. build with -Werror, fetch the public ASN data (npm), and run every
#      test (cmocka units, golden files, CLI black-box tests, real-capture
#      checks, ASN lookups) with ctest;
#   2. the same build and tests under AddressSanitizer + UndefinedBehaviorSanitizer;
#   3. libFuzzer targets for a bounded time (FUZZ_SECONDS, default 60);
#   4. the benchmark in quick mode (a smoke test; full runs: bench/run-events.sh);
#   5. end-to-end: real Postfix + Dovecot on loopback, logs captured and
#      parsed (only as root; E2E=0 skips it).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc)
if [ "$(id -u)" -eq 0 ]; then scripts/install-deps.sh; fi

echo "== build (-Werror) and unit/golden/cli tests"
cmake -S . -B build -DMW_WERROR=ON -DMW_TESTS=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
# the public ASN data (npm) for the real-data lookups of the asn test
if [ "$(id -u)" -eq 0 ]; then
    scripts/fetch-geodata.sh --mailward build/mailward ||
        echo "test.sh: WARNING: fetch-geodata failed; the asn test's real-data checks will say they were skipped"
fi
# the list of common passwords (john-data, cracklib, npm @zxcvbn-ts/language-common)
# for the passwd test's full-list checks
scripts/fetch-passwords.sh ||
    echo "test.sh: WARNING: fetch-passwords failed; the passwd test's full-list checks will say they were skipped"
ctest --test-dir build --output-on-failure -j"$jobs"

echo "== ASan + UBSan build and tests"
cmake -S . -B build-asan -DMW_WERROR=ON -DMW_SANITIZE=ON -DMW_TESTS=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs"

echo "== fuzzing (${FUZZ_SECONDS:-60}s per target)"
fuzz/run.sh "${FUZZ_SECONDS:-60}"

if [ -x bench/run-events.sh ]; then
    echo "== benchmark smoke run (bench/run-events.sh --quick)"
    bench/run-events.sh --quick --no-results
fi

if [ "${E2E:-1}" = 1 ] && [ "$(id -u)" -eq 0 ] && [ -x tests/e2e/check-real-logs.sh ]; then
    echo "== end-to-end: real Postfix and Dovecot"
    tests/e2e/check-real-logs.sh
    if [ -x tests/e2e/serve-e2e.sh ]; then echo "== end-to-end: mailward serve with real Postfix and Dovecot"; tests/e2e/serve-e2e.sh build/mailward; fi
    if [ -x tests/e2e/weakpw-e2e.sh ]; then echo "== end-to-end: weak passwords at login (pwhash) with the real Dovecot"; tests/e2e/weakpw-e2e.sh build/mailward; fi
    if [ -x tests/e2e/milter-e2e.sh ]; then echo "== end-to-end: mailward's milter with the real Postfix"; tests/e2e/milter-e2e.sh build/mailward; fi
fi
echo "== all tests passed"
