"""A pytest plugin (loaded with -p) that appends each test's progress to the file named by
$RFFI_COMPAT_RECORD as it happens, so that a test which kills the interpreter is known by
name: it has a `start` line and no `finish` line."""

import os

_PATH = os.environ["RFFI_COMPAT_RECORD"]


def _write(*words):
    with open(_PATH, "a") as record:
        record.write(" ".join(words) + "\n")


def pytest_runtest_logstart(nodeid, location):
    _write("start", nodeid)


def pytest_runtest_logreport(report):
    _write(report.outcome, report.nodeid)


def pytest_runtest_logfinish(nodeid, location):
    _write("finish", nodeid)
