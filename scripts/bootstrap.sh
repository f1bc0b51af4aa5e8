#!/bin/bash
# bootstrap.sh - on a fresh Debian 12: install dependencies, build mailward
# (optimised) into build/, and run the main job on embedded defaults (no
# config file): `mailward analyze` on the system's mail log if there is one,
# else on the log captured from the real Debian Postfix and Dovecot.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=Release -DMW_TESTS=OFF >/dev/null
cmake --build "$top/build" -j"$(nproc)" >/dev/null
echo "built $top/build/mailward ($("$top/build/mailward" --version))"
log=/var/log/mail.log
[ -r "$log" ] && [ -s "$log" ] || log=$top/tests/fixtures/real/debian12-mail.log
echo "mailward analyze $log"
"$top/build/mailward" analyze --no-progress "$log"
