"""The harness that runs cffi's own suite (tests/compat/run_cffi_suite.py): how it reads
pytest's progress record and the list of expected failures. The suite run itself is
`make compat`."""

from __future__ import annotations

import importlib.util
import pathlib

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parents[1] / "compat" / "run_cffi_suite.py"
_spec = importlib.util.spec_from_file_location("run_cffi_suite", SCRIPT)
suite = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(suite)

NODE = "testing/cffi0/test_ffi_backend.py::TestFFI::"


def test_record_outcomes_and_the_crashed_test(tmp_path):
    record = tmp_path / "record"
    record.write_text(
        "".join(
            f"{word} {NODE}{name}\n"
            for word, name in [
                ("start", "test_a"), ("passed", "test_a"), ("passed", "test_a"), ("finish", "test_a"),
                ("start", "test_b"), ("passed", "test_b"), ("failed", "test_b"), ("finish", "test_b"),
                ("start", "test_c"), ("skipped", "test_c"), ("finish", "test_c"),
                ("start", "test_d"), ("passed", "test_d"),
            ]
        )
    )
    results: dict[str, str] = {}
    crashed = suite.read_record(record, results)
    assert crashed == "TestFFI::test_d"
    assert results == {
        "TestFFI::test_a": "passed",
        "TestFFI::test_b": "failed",
        "TestFFI::test_c": "skipped",
        "TestFFI::test_d": "passed",
    }
    assert not record.exists()


def test_no_record_means_no_test_ran(tmp_path):
    assert suite.read_record(tmp_path / "missing", {}) is None


def test_expected_failures_need_a_reason(tmp_path):
    listed = tmp_path / "expected.txt"
    listed.write_text("# comment\n\nTestFFI::test_a  # why\n")
    assert suite.read_expected(listed) == {"TestFFI::test_a": "why"}
    listed.write_text("TestFFI::test_b\n")
    with pytest.raises(SystemExit, match="test_b has no reason"):
        suite.read_expected(listed)


def test_the_real_list_is_well_formed():
    expected = suite.read_expected(suite.EXPECTED)
    assert expected and all("::test_" in name for name in expected)
