#!/usr/bin/env bash
# Instructions per operation of rffi's hot paths, counted by callgrind (independent of the
# machine's load): each operation of tools/callgrind_op.py runs 0 and N times in otherwise
# identical processes; the difference over N is one pass, loop included.
#   tools/callgrind_ops.sh [PYTHON] [N]     (PYTHON defaults to .venv/bin/python)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${1:-.venv/bin/python}
N=${2:-20000}
out=$(mktemp -d)
count() {
    PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file="$out/cg.out" \
        "$PY" tools/callgrind_op.py "$1" "$2" 2>&1 | awk '/Collected/ {print $4}'
}
for op in call_abs call_fabs new_int cast_ptr read_member read_item write_item write_p0 \
    write_member; do
    zero=$(count "$op" 0)
    many=$(count "$op" "$N")
    echo "$op $(( (many - zero) / N ))"
done
rm -rf "$out"
