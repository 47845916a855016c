"""One fuzz worker process: runs the cases it reads on stdin and reports each step.

Input lines (stdin, read to the end before anything runs):
    I <index>          case <index> of the corpus (--seed, --families)
    J <json>           explicit case: {"id": ..., "steps": [...]} (replays, minimization)

Protocol lines, on the stdout the worker had when it started (the cases' own stdout goes to
/dev/null), flushed at once so the driver knows where a crash or a hang happened:
    B <id>             case begins
    S <k>              step k begins
    T <json code>      exercise()/poke() is about to run this statement
    E <k> <type>       step k raised an ordinary exception (the expected outcome)
    P <k> <json>       step k raised a BaseException that is not an Exception, or a
                       PanicException: [type name, message] (a crash, though the process lives)
    D <id>             case done (its namespace dropped and garbage collected)
    Z                  all cases done; the process then exits normally
stderr gets "@@ <id> <k>" before each step, so a panic message or a fatal error report can be
matched to its step.
"""

from __future__ import annotations

import argparse
import faulthandler
import gc
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import fuzzlib  # noqa: E402


def limit_resources(mem_mb: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if mem_mb > 0:
        limit = mem_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--families", default="")
    parser.add_argument("--mem-mb", type=int, default=2048)
    args = parser.parse_args()

    requests = sys.stdin.read().splitlines()
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    sys.stdout = open(os.devnull, "w")
    faulthandler.enable(sys.stderr)
    sys.unraisablehook = lambda report: None  # callbacks that raise report here: expected
    limit_resources(args.mem_mb)

    def send(line: str) -> None:
        proto.write(line + "\n")
        proto.flush()

    fuzzlib.TRACE = lambda code: send("T " + json.dumps(code))
    FFI = fuzzlib.load_backend()
    families = json.loads(args.families) if args.families else None

    recursion_limit = sys.getrecursionlimit()
    for request in requests:
        tag, _, rest = request.partition(" ")
        if tag == "I":
            import cases

            index = int(rest)
            case_id, steps = str(index), cases.make_case(args.seed, index, families).steps
        elif tag == "J":
            spec = json.loads(rest)
            case_id, steps = str(spec["id"]), spec["steps"]
        else:
            continue
        send(f"B {case_id}")
        ns = fuzzlib.namespace(FFI)
        for k, step in enumerate(steps):
            send(f"S {k}")
            os.write(2, f"\n@@ {case_id} {k}\n".encode())
            try:
                exec(compile(step, f"<case {case_id} step {k}>", "exec"), ns)
            except Exception as exc:  # the expected outcome of hostile input
                send(f"E {k} {type(exc).__name__}")
            except BaseException as exc:  # PanicException, or a stray SystemExit
                send(f"P {k} " + json.dumps([type(exc).__name__, str(exc)[:500]]))
        ns.clear()
        del ns
        gc.collect()
        sys.setrecursionlimit(recursion_limit)
        send(f"D {case_id}")
    send("Z")
    return 0


if __name__ == "__main__":
    sys.exit(main())
