"""The fuzz smoke corpus of issue 15: no ordinary Python crashes rffi, panics or hangs.

tests/fuzz/run.py runs a fixed-seed corpus of generated hostile input (see tests/fuzz/cases.py)
in worker processes; any crash, PanicException or hang fails this test, with the shrunk
reproducers in the message and in build/fuzz-smoke*/repro-N.py. `make fuzz` runs the large
corpus.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from conftest import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "tests" / "fuzz"))
import run as fuzz_run  # noqa: E402

SMOKE_SEED = 1
SMOKE_CASES = int(os.environ.get("RFFI_FUZZ_SMOKE_CASES", "1000"))


def test_fuzz_smoke_corpus_has_no_crash_or_hang(testlib_path, capsys):
    out = os.path.join("build", "fuzz-smoke" + ("-libffi" if os.environ.get("RFFI_FORCE_LIBFFI") else ""))
    status = fuzz_run.main(["--seed", str(SMOKE_SEED), "--cases", str(SMOKE_CASES), "--jobs",
                            str(min(2, os.cpu_count() or 1)), "--out", out, "--no-strict"])
    printed = capsys.readouterr().out
    assert status == 0
    with open(REPO_ROOT / out / "findings.json") as fh:
        report = json.load(fh)
    # The corpus really ran: every case, most of them several statements.
    assert report["cases"] == SMOKE_CASES and report["steps"] > SMOKE_CASES
    failures = report["crashes"] + report["hangs"]
    summary = printed[printed.find("  crashes:"):].replace(
        "not strict (RFFI_FUZZ_STRICT=0): crashes and hangs do not fail this run\n", "")
    assert failures == 0, summary


# ---- the harness itself: it must see a crash, a panic and a hang, and pin each down ----


def harness(timeout=20.0):
    args = argparse.Namespace(
        seed=SMOKE_SEED, families=fuzz_run.parse_families("default"), mem_mb=2048,
        timeout=timeout, malloc_check=False)
    return fuzz_run.Runner(args)


def explicit(*steps, case_id=7):
    return "J " + json.dumps({"id": case_id, "steps": list(steps)})


def test_harness_pins_a_crash_to_its_case_and_step(testlib_path):
    result = harness().run_batch([
        explicit("x = ffi.new('int *')", case_id=1),
        explicit("y = 1", "import os; os.abort()", "z = 2", case_id=2),
        explicit("never = 1", case_id=3),
    ])
    assert result.done == ["1"]
    assert result.incident.kind == "crash"
    assert (result.incident.case_id, result.incident.step) == ("2", 1)
    assert "SIGABRT" in result.incident.detail
    assert len(result.unstarted) == 1 and '"id": 3' in result.unstarted[0]


def test_harness_counts_a_base_exception_as_a_crash_and_goes_on(testlib_path):
    result = harness().run_batch([
        explicit("class PanicException(BaseException): pass\nraise PanicException('boom')",
                 "ffi.new('int[]', -1)", case_id=4),
        explicit("1", case_id=5),
    ])
    assert result.done == ["4", "5"] and result.incident is None
    assert [(p.case_id, p.step, p.detail) for p in result.panics] == [
        ("4", 0, "PanicException: boom")]
    assert result.exceptions["ValueError"] + result.exceptions["OverflowError"] == 1


def test_harness_kills_a_hang(testlib_path):
    result = harness(timeout=2.0).run_batch([explicit("import time; time.sleep(60)", case_id=6)])
    assert result.incident.kind == "hang" and result.incident.case_id == "6"
