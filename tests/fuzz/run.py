#!/usr/bin/env python3
"""Fuzz rffi's Python API with generated hostile input; report crashes and hangs.

    .venv/bin/python tests/fuzz/run.py --cases 20000            # what `make fuzz` runs
    .venv/bin/python tests/fuzz/run.py --cases 800 --seed 1     # the smoke corpus of `make test`
    .venv/bin/python tests/fuzz/run.py --show 1234              # the statements of case 1234
    .venv/bin/python build/fuzz/repro-1.py                      # a saved reproducer

Cases (tests/fuzz/cases.py) are deterministic from (seed, index). Worker processes
(tests/fuzz/worker.py) each run a batch and stream what they are doing, so a worker that
dies is attributed to its case and step at once; the rest of its batch goes to a new worker.
A case that runs longer than --timeout is killed and counted as a hang. Afterwards every crash
and hang is run again alone (and, if it needs them, after the cases of its batch that came
before it) and shrunk to the fewest statements that still fail, and written as a standalone
script to build/fuzz/repro-N.py; build/fuzz/findings.json lists them all.

An ordinary exception is the expected outcome of hostile input. A crash is a process that
dies (signal, abort, fatal error, a non-zero exit after the cases ran) or a step that raises
a BaseException that is not an Exception (pyo3's PanicException is one).

The exit status is 1 when there is a crash or a hang, unless RFFI_FUZZ_STRICT=0 (or
--no-strict). The last line is "fuzz: N passed, M failed" (cases).
"""

from __future__ import annotations

import argparse
import collections
import glob
import json
import os
import queue
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import cases as case_gen  # noqa: E402

MALLOC_DEBUG = next(iter(sorted(glob.glob("/lib/*/libc_malloc_debug.so.0")
                                + glob.glob("/usr/lib/*/libc_malloc_debug.so.0"))), "")


@dataclass
class Incident:
    kind: str  # "crash" or "hang"
    case_id: str
    step: int | None
    trace: str | None
    detail: str  # what killed it: signal, exit status, panic message
    stderr: str = ""


@dataclass
class BatchResult:
    done: list = field(default_factory=list)  # case ids that ran to the end
    exceptions: collections.Counter = field(default_factory=collections.Counter)
    steps: int = 0
    panics: list = field(default_factory=list)  # Incidents that did not kill the process
    incident: Incident | None = None
    unstarted: list = field(default_factory=list)  # requests after the incident


@dataclass
class Finding:
    kind: str
    case: str
    family: str
    detail: str
    signature: str = ""
    confirmed: str = ""
    steps: list = field(default_factory=list)  # the whole case
    repro: list = field(default_factory=list)  # the fewest statements that still fail
    stderr: str = ""
    also: list = field(default_factory=list)  # other cases with the same first signature
    script: str = ""


class Runner:
    def __init__(self, args):
        self.args = args
        self.python = sys.executable
        self.families = args.families
        self.env = dict(os.environ)
        if getattr(args, "malloc_check", False) and MALLOC_DEBUG:
            # glibc checks each block's bounds when it is freed: an overflow is caught in
            # the case that made it (at its garbage collection), not cases later.
            self.env.update(LD_PRELOAD=MALLOC_DEBUG, MALLOC_CHECK_="3", PYTHONMALLOC="malloc")

    def worker_cmd(self):
        return [self.python, os.path.join(HERE, "worker.py"), "--seed", str(self.args.seed),
                "--families", json.dumps(self.families), "--mem-mb", str(self.args.mem_mb)]

    def run_batch(self, requests: list, timeout: float | None = None) -> BatchResult:
        """Run requests ("I n" / "J json") in one fresh worker until done or an incident."""
        timeout = timeout or self.args.timeout
        result = BatchResult()
        with tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(self.worker_cmd(), stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=err, cwd=REPO_ROOT,
                                    env=self.env, start_new_session=True)
            proc.stdin.write(("\n".join(requests) + "\n").encode())
            proc.stdin.close()
            ids = [req_id(r) for r in requests]
            current, step, trace, started, finished = None, None, None, 0.0, False
            buf = b""
            fd = proc.stdout.fileno()
            hang = False
            last_progress = time.monotonic()
            while True:
                wait = max(0.0, started + timeout - time.monotonic()) if current else timeout
                ready, _, _ = select.select([fd], [], [], wait)
                if not ready:
                    if current is not None and time.monotonic() - started >= timeout:
                        hang = True
                        break
                    if current is None and time.monotonic() - last_progress >= 4 * timeout:
                        hang = True  # stuck between cases (e.g. startup): still a hang
                        break
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                buf += chunk
                last_progress = time.monotonic()
                *lines, buf = buf.split(b"\n")
                for raw in lines:
                    line = raw.decode("utf-8", "replace")
                    tag, _, rest = line.partition(" ")
                    if tag == "B":
                        current, step, trace, started = rest, None, None, time.monotonic()
                    elif tag == "S":
                        step, trace = int(rest), None
                        result.steps += 1
                    elif tag == "T":
                        trace = json.loads(rest)
                    elif tag == "E":
                        result.exceptions[rest.split(" ", 1)[1]] += 1
                    elif tag == "P":
                        k, _, payload = rest.partition(" ")
                        name, message = json.loads(payload)
                        result.panics.append(Incident("crash", current, int(k), trace,
                                                      f"{name}: {first_line(message)}"))
                    elif tag == "D":
                        result.done.append(current)
                        current, step, trace = None, None, None
                    elif tag == "Z":
                        finished = True
            if hang:
                kill_group(proc)
            rc = proc.wait()
            err.seek(0)
            stderr = err.read().decode("utf-8", "replace")
        for p in result.panics:
            p.stderr = stderr_of(stderr, p.case_id, p.step)
            p.detail = panic_detail(p.detail, p.stderr)
        if hang:
            result.incident = Incident("hang", current, step, trace,
                                       f"no progress in {timeout:g} s",
                                       stderr_of(stderr, current, step))
        elif current is not None or (not finished) or rc != 0:
            case_id = current
            if case_id is None:
                # Died between cases or at exit: blame the last case that ran.
                case_id = result.done[-1] if result.done else (ids[0] if ids else "?")
                if result.done and case_id == result.done[-1]:
                    result.done.pop()
            result.incident = Incident("crash", case_id, step, trace,
                                       death_detail(rc, stderr, finished),
                                       stderr_of(stderr, case_id, step) or tail(stderr))
        if result.incident is not None:
            position = ids.index(result.incident.case_id) if result.incident.case_id in ids else len(ids)
            result.unstarted = requests[position + 1:]
        return result

    def steps_of(self, case_id: str) -> tuple:
        case = case_gen.make_case(self.args.seed, int(case_id), self.families)
        return case.family, case.steps


def req_id(request: str) -> str:
    tag, _, rest = request.partition(" ")
    return rest if tag == "I" else str(json.loads(rest)["id"])


def kill_group(proc) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0][:200]


def tail(text: str, n: int = 3000) -> str:
    return text[-n:]


def stderr_of(stderr: str, case_id, step) -> str:
    """What the worker wrote to stderr during that step."""
    marker = f"\n@@ {case_id} {step}\n"
    at = stderr.rfind(marker)
    if at < 0:
        return ""
    rest = stderr[at + len(marker):]
    nxt = rest.find("\n@@ ")
    return (rest if nxt < 0 else rest[:nxt])[:4000]


PANIC_AT = re.compile(r"panicked at ([^\n]*?):?\n([^\n]*)")


def panic_detail(detail: str, stderr: str) -> str:
    m = PANIC_AT.search(stderr)
    return f"{detail} (at {m.group(1)})" if m else detail


def death_detail(rc: int, stderr: str, finished: bool) -> str:
    if rc < 0:
        try:
            what = signal.Signals(-rc).name
        except ValueError:
            what = f"signal {-rc}"
    else:
        what = f"exit status {rc}"
    if finished:
        what += " after its cases ran"
    hints = []
    m = PANIC_AT.search(stderr)
    if m:
        hints.append(f"panic '{m.group(2).strip()[:150]}' at {m.group(1)}")
    for pattern in (r"memory allocation of \d+ bytes failed", r"fatal runtime error: [^\n]*",
                    r"Fatal Python error: [^\n]*", r"thread '[^']*' has overflowed its stack",
                    r"free\(\): [^\n]*", r"malloc\(\): [^\n]*", r"double free[^\n]*",
                    r"corrupted [^\n]*"):
        m = re.search(pattern, stderr)
        if m:
            hints.append(m.group(0))
    return what + (": " + "; ".join(hints) if hints else "")


def normalize(code: str) -> str:
    """Code with its numbers and long strings blanked: crashes at the same statement shape
    share a signature."""
    code = re.sub(r"'[^'\n]{25,}'|\"[^\"\n]{25,}\"", "'…'", code)
    code = re.sub(r"\b\d+(\.\d+)?(e[+-]?\d+)?\b", "N", code)
    return re.sub(r"\s+", " ", code).strip()[:300]


def detail_class(detail: str) -> str:
    detail = re.sub(r"\d+", "N", detail)
    return detail.split(" (at ")[0] if "PanicException" not in detail else detail


# ---- the run ----


def fuzz(args) -> int:
    runner = Runner(args)
    t0 = time.monotonic()
    indices = range(args.start, args.start + args.cases)
    work = queue.Queue()
    for i in range(0, len(indices), args.batch):
        work.put([f"I {n}" for n in indices[i:i + args.batch]])
    lock = threading.Lock()
    stats = {"done": 0, "steps": 0, "exceptions": collections.Counter()}
    incidents = []  # (Incident, requests of the batch up to it)

    def worker_loop():
        while True:
            try:
                requests = work.get_nowait()
            except queue.Empty:
                return
            result = runner.run_batch(requests)
            with lock:
                before = stats["done"]
                stats["done"] += len(result.done)
                step = max(1000, args.cases // 10)
                if args.cases >= 5000 and before // step != stats["done"] // step:
                    print(f"  {stats['done']} cases done, {len(incidents)} incidents, "
                          f"{time.monotonic() - t0:.0f} s", file=sys.stderr, flush=True)
                stats["steps"] += result.steps
                stats["exceptions"].update(result.exceptions)
                for p in result.panics:
                    incidents.append((p, []))
                if result.incident is not None:
                    inc = result.incident
                    prefix = requests[:len(requests) - len(result.unstarted)]
                    incidents.append((inc, prefix))
                    if args.verbose:
                        print(f"  {inc.kind} in case {inc.case_id} step {inc.step}: {inc.detail}",
                              file=sys.stderr)
            if result.unstarted:
                work.put(result.unstarted)

    threads = [threading.Thread(target=worker_loop) for _ in range(args.jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed_run = time.monotonic() - t0

    args.investigate_until = time.monotonic() + args.investigate_seconds
    findings = investigate(runner, incidents, args)
    elapsed = time.monotonic() - t0
    return report(args, stats, findings, elapsed_run, elapsed)


def investigate(runner: Runner, incidents: list, args) -> list:
    """Confirm, group and shrink: one Finding per first signature, others listed under it."""
    groups = {}
    for inc, prefix in incidents:
        family, steps = runner.steps_of(inc.case_id)
        stmt = inc.trace or (steps[inc.step] if inc.step is not None and inc.step < len(steps) else "")
        key = (inc.kind, detail_class(inc.detail), family, normalize(stmt))
        if key in groups:
            groups[key][1].append(inc.case_id)
            continue
        finding = Finding(inc.kind, inc.case_id, family, inc.detail, steps=steps,
                          stderr=inc.stderr)
        groups[key] = (finding, [], inc, prefix)

    def work(item):
        finding, others, inc, prefix = item
        finding.also = sorted(set(others) - {finding.case}, key=int)
        confirm_and_shrink(runner, finding, inc, prefix, args)

    items = list(groups.values())
    threads, pending = [], queue.Queue()
    for item in items:
        pending.put(item)

    def loop():
        while True:
            try:
                item = pending.get_nowait()
            except queue.Empty:
                return
            work(item)

    for _ in range(args.jobs):
        t = threading.Thread(target=loop)
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    findings = [g[0] for g in items]
    for f in findings:
        f.signature = f"{f.kind}: {detail_class(f.detail)} | {normalize(' ; '.join(f.repro or f.steps))}"
    findings.sort(key=lambda f: (f.kind, f.confirmed.startswith("not"), int(f.case)))
    return findings


def same_failure(result: BatchResult, kind: str) -> Incident | None:
    if kind == "hang":
        return result.incident if result.incident and result.incident.kind == "hang" else None
    # Heap damage shows as a segfault, an abort or a malloc stuck in a loop, varying from
    # run to run: for a crash, any failure counts as reproducing it.
    if result.panics:
        return result.panics[0]
    return result.incident


def confirm_and_shrink(runner: Runner, finding: Finding, inc: Incident, prefix: list, args):
    timeout = args.timeout
    if time.monotonic() > args.investigate_until:
        finding.confirmed = "not rerun (--investigate-seconds used up)"
        return
    alone = runner.run_batch([f"I {finding.case}"], timeout)
    got = same_failure(alone, finding.kind)
    if got is not None:
        finding.confirmed = "alone"
    elif len(prefix) > 1:
        again = runner.run_batch(prefix, timeout)
        if same_failure(again, finding.kind) is None:
            finding.confirmed = "not reproduced (alone or with its batch)"
            return
        # An earlier case left damage (a heap overflow, say) that showed later: find it.
        culprits = bisect(runner, prefix, finding.kind, timeout)
        ids = [req_id(r) for r in culprits]
        if len(culprits) == 1:
            finding.confirmed = f"alone, as case {ids[0]} (the crash showed in case {finding.case})"
            finding.case = ids[0]
            finding.family, finding.steps = runner.steps_of(ids[0])
            got = same_failure(runner.run_batch(culprits, timeout), finding.kind)
            if got is None:
                return
        else:
            finding.confirmed = "only after cases " + ", ".join(ids) + " in one process"
            return
    else:
        finding.confirmed = "not reproduced"
        return
    finding.detail = got.detail or finding.detail
    finding.stderr = got.stderr or finding.stderr
    finding.repro = shrink(runner, finding, got, args)


def bisect(runner: Runner, requests: list, kind: str, timeout: float) -> list:
    """A shorter run of `requests` that still fails: one case if one case alone does."""
    while len(requests) > 1:
        half = len(requests) // 2
        for part in (requests[:half], requests[half:]):
            if same_failure(runner.run_batch(part, timeout), kind) is not None:
                requests = part
                break
        else:
            return requests
    return requests


def shrink(runner: Runner, finding: Finding, got: Incident, args) -> list:
    steps = list(finding.steps)
    k = got.step if got.step is not None else len(steps) - 1
    candidate = steps[:k + 1]
    # A hang costs a whole timeout per try: shrink those less.
    budget = [args.shrink_runs if finding.kind == "crash" else min(3, args.shrink_runs)]

    def fails(stmts) -> bool:
        if budget[0] <= 0 or time.monotonic() > args.investigate_until:
            return False
        budget[0] -= 1
        spec = json.dumps({"id": finding.case, "steps": stmts})
        return same_failure(runner.run_batch([f"J {spec}"], args.timeout), finding.kind) is not None

    if got.trace and fails(candidate[:-1] + [got.trace]):
        candidate = candidate[:-1] + [got.trace]
    for j in reversed(range(len(candidate) - 1)):
        trial = candidate[:j] + candidate[j + 1:]
        if fails(trial):
            candidate = trial
    return candidate


def script_of(finding: Finding, n: int, seed: int) -> str:
    lines = [
        f"# rffi fuzz reproducer {n}: {finding.kind}, {finding.detail}",
        f"# case {finding.case} of seed {seed} ({finding.family}); confirmed {finding.confirmed}",
        "# Run from the repository root: .venv/bin/python <this file>",
        "# (a heap overflow may only show with glibc's checks: LD_PRELOAD=libc_malloc_debug.so.0",
        "#  MALLOC_CHECK_=3 PYTHONMALLOC=malloc, as the fuzzer runs it)",
        "import sys",
        "",
        "sys.path.insert(0, 'tests/fuzz')",
        "from fuzzlib import *  # noqa: F403  hostile helpers, exercise(), namespace()",
        "",
        "globals().update(namespace(load_backend()))  # ffi (testlib.h declared), lib, FFI",
    ]
    stmts = finding.repro or finding.steps
    for k, stmt in enumerate(stmts):
        if k == len(stmts) - 1:
            lines.append(stmt)
        else:
            lines.append("try:")
            lines.extend("    " + s for s in stmt.splitlines())
            lines.append("except Exception as exc:")
            lines.append(f"    print('step {k}:', type(exc).__name__, exc)")
    lines.append("print('survived')")
    return "\n".join(lines) + "\n"


def report(args, stats, findings, elapsed_run, elapsed) -> int:
    out_dir = os.path.join(REPO_ROOT, args.out)
    os.makedirs(out_dir, exist_ok=True)
    for old in os.listdir(out_dir):
        if old.startswith("repro-") and old.endswith(".py"):
            os.remove(os.path.join(out_dir, old))
    counted = [f for f in findings
               if not (f.kind == "hang" and f.confirmed.startswith("not reproduced"))]
    slow = [f for f in findings if f not in counted]
    failed_cases = set()
    for f in counted:
        failed_cases.add(f.case)
        failed_cases.update(f.also)
    for n, f in enumerate(findings, 1):
        f.script = script_of(f, n, args.seed)
        if f in counted:
            with open(os.path.join(out_dir, f"repro-{n}.py"), "w") as fh:
                fh.write(f.script)
    with open(os.path.join(out_dir, "findings.json"), "w") as fh:
        json.dump({"seed": args.seed, "start": args.start, "cases": args.cases,
                   "families": args.families, "seconds": round(elapsed, 1),
                   "steps": stats["steps"], "exceptions": dict(stats["exceptions"]),
                   "crashes": sum(1 for f in counted if f.kind == "crash"),
                   "hangs": sum(1 for f in counted if f.kind == "hang"),
                   "failed_cases": sorted(failed_cases, key=int),
                   "findings": [asdict(f) for f in findings]}, fh, indent=1)

    crashes = [f for f in counted if f.kind == "crash"]
    hangs = [f for f in counted if f.kind == "hang"]
    n_crash_cases = sum(1 + len(f.also) for f in crashes)
    n_hang_cases = sum(1 + len(f.also) for f in hangs)
    exc_steps = sum(stats["exceptions"].values())
    top = ", ".join(f"{k} {v}" for k, v in stats["exceptions"].most_common(8))
    print(f"rffi fuzz: seed {args.seed}, cases {args.start}..{args.start + args.cases - 1}, "
          f"{args.jobs} jobs, {elapsed_run:.1f} s (+{elapsed - elapsed_run:.1f} s to confirm and shrink)")
    print(f"  families: {', '.join(sorted(args.families))}")
    print(f"  cases tried: {args.cases}   statements: {stats['steps']}   "
          f"statements that raised: {exc_steps} ({top})")
    print(f"  crashes: {n_crash_cases} cases, {len(crashes)} signatures   "
          f"hangs: {n_hang_cases} cases, {len(hangs)} signatures")
    for n, f in enumerate(findings, 1):
        if f in slow:
            continue
        where = os.path.join(args.out, f"repro-{n}.py")
        more = f" (+{len(f.also)} more: {', '.join(f.also[:8])}{' …' if len(f.also) > 8 else ''})" if f.also else ""
        print(f"\n[{n}] {f.kind} in case {f.case}{more} [{f.family}], confirmed {f.confirmed}")
        print(f"    {f.detail}")
        print(f"    reproducer: {where}")
        for stmt in (f.repro or f.steps):
            shown = stmt if len(stmt) < 400 else stmt[:400] + " …"
            print("      " + shown.replace("\n", "\n      "))
    for f in slow:
        print(f"\n(slow, not counted) case {f.case} [{f.family}] passed its {args.timeout:g} s "
              f"limit once but not when run alone: {normalize(' ; '.join(f.steps))[:200]}")
    strict = args.strict
    if (crashes or hangs) and not strict:
        print("\nnot strict (RFFI_FUZZ_STRICT=0): crashes and hangs do not fail this run")
    print(f"\nfindings: {os.path.join(args.out, 'findings.json')}")
    passed = args.cases - len(failed_cases)
    print(f"fuzz: {passed} passed, {len(failed_cases)} failed")
    return 1 if (crashes or hangs) and strict else 0


def parse_families(text: str) -> dict:
    if text in ("", "default"):
        return dict(case_gen.DEFAULT_FAMILIES)
    if text == "all":
        return dict(case_gen.ALL_FAMILIES)
    names = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [n for n in names if n not in case_gen.ALL_FAMILIES]
    if unknown:
        raise SystemExit(f"unknown families: {unknown}; known: {sorted(case_gen.ALL_FAMILIES)}")
    return {n: case_gen.ALL_FAMILIES[n] for n in names}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--cases", type=int, default=20000)
    p.add_argument("--start", type=int, default=0, help="first case index")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    p.add_argument("--batch", type=int, default=100, help="cases per worker process")
    p.add_argument("--timeout", type=float, default=20.0, help="seconds per case before a hang")
    p.add_argument("--mem-mb", type=int, default=2048, help="address-space limit per worker")
    p.add_argument("--families", default="default",
                   help="comma list, 'default' or 'all' (adds: derived)")
    p.add_argument("--no-malloc-check", dest="malloc_check", action="store_false",
                   help="run workers without glibc's malloc checks (libc_malloc_debug)")
    p.add_argument("--shrink-runs", type=int, default=12,
                   help="most reruns spent shrinking one finding")
    p.add_argument("--investigate-seconds", type=float, default=240,
                   help="time for rerunning and shrinking findings; later ones are reported "
                        "as found")
    p.add_argument("--out", default=os.path.join("build", "fuzz"),
                   help="folder (from the repository root) for findings.json and repro-N.py")
    strict = os.environ.get("RFFI_FUZZ_STRICT", "1") not in ("0", "no", "false", "")
    p.add_argument("--strict", dest="strict", action="store_true", default=strict)
    p.add_argument("--no-strict", dest="strict", action="store_false")
    p.add_argument("--show", type=int, metavar="INDEX", help="print the statements of one case")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    args.families = parse_families(args.families)
    if args.show is not None:
        case = case_gen.make_case(args.seed, args.show, args.families)
        print(f"# case {args.show} of seed {args.seed}: {case.family}")
        for stmt in case.steps:
            print(stmt)
        return 0
    return fuzz(args)


if __name__ == "__main__":
    sys.exit(main())
