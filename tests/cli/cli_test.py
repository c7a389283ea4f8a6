#!/usr/bin/env python3
"""cli_test.py - tests of the `numseq` command-line tool (docs/cli.md).

Runs the tool over journal files in a scratch directory: every command,
every error path and its exit code, `run` scripts against expected output
(cases/*.run and cases/*.expected), the lock between two processes, a kill -9
in the middle of a run, and a small fuzz of argv and of run's standard input
(random words; the tool must exit with a documented code and never crash or
trip a sanitizer).  The fuzz prints its seed; NUMSEQ_SEED=S replays it.

    cli_test.py --tool build/.../numseq --work DIR --cases tests/cli/cases
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time

TOOL = None
WORK = None
CASES = None
EXIT_CODES = {0, 1, 2, 3, 4, 5, 6}
failures = []
checks = 0


def env():
    e = dict(os.environ)
    # A sanitizer finding must not look like a documented exit code.
    for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
        e[var] = (e.get(var, "") + ":exitcode=99").lstrip(":")
    return e


ENV = None


def run(args, stdin=None, timeout=60):
    p = subprocess.run([TOOL] + args, input=stdin, capture_output=True, text=True,
                       errors="replace", cwd=WORK, env=ENV, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def check(cond, what, detail=""):
    global checks
    checks += 1
    if not cond:
        failures.append(what)
        print(f"FAIL: {what}\n{detail}", flush=True)


def expect(args, code, out=None, err=None, stdin=None, what=None):
    rc, o, e = run(args, stdin)
    what = what or " ".join(args)
    check(rc == code, f"{what}: exit {rc}, expected {code}", f"stdout:\n{o}\nstderr:\n{e}")
    if out is not None:
        check(out in o if isinstance(out, str) else out(o), f"{what}: stdout", f"got:\n{o}")
    if err is not None:
        check(err in e, f"{what}: stderr should contain {err!r}", f"got:\n{e}")
    no_sanitizer(e, what)
    return o, e


def no_sanitizer(stderr, what):
    check("Sanitizer" not in stderr and "runtime error:" not in stderr,
          f"{what}: sanitizer report", stderr)


def fresh(name, *opts):
    for f in os.listdir(WORK):
        if f == name or f.startswith(name + "."):
            os.unlink(os.path.join(WORK, f))
    rc, o, e = run(["create", name] + list(opts))
    check(rc == 0, f"create {name} {' '.join(opts)}: exit {rc}", e)


def stat(name):
    rc, o, e = run(["stat", name])
    check(rc == 0, f"stat {name}: exit {rc}", e)
    return dict(line.split(": ", 1) for line in o.splitlines() if ": " in line)


def check_json_lines(text, what):
    try:
        return [json.loads(line) for line in text.splitlines()]
    except ValueError as ex:
        check(False, f"{what}: not JSON Lines: {ex}", text)
        return []


# --------------------------------------------------------------- tests

def test_help():
    expect(["--help"], 0, out="Exit codes:")
    expect(["help"], 0, out="usage: numseq COMMAND")
    expect(["--version"], 0, out="numseq ")
    expect([], 2, err="usage: numseq")
    expect(["frobnicate", "j"], 2, err='unknown command "frobnicate"')
    expect(["help", "frobnicate"], 2, err="unknown command")
    for c in ["create", "nextval", "setval", "restart", "alter", "claim", "release", "stat",
              "check", "repair", "compact", "dump", "run", "help"]:
        expect([c, "--help"], 0, out=f"usage: numseq {c}")
        expect(["help", c], 0, out=f"usage: numseq {c}")
    expect(["create", "--help"], 0, out="INCREMENT [BY] n")
    expect(["alter", "--help"], 0, out="RESTART [[WITH] n]")


def test_create():
    fresh("c1", "as", "Integer", "increment", "by", "2", "Start", "WITH", "10",
          "maxvalue", "100", "cache", "1", "no", "cycle", "name", "orders")
    st = stat("c1")
    check(st.get("type") == "integer" and st.get("increment") == "2" and
          st.get("start") == "10" and st.get("maxvalue") == "100" and
          st.get("name") == "orders" and st.get("cycle") == "false",
          "create: case-insensitive words", str(st))
    expect(["nextval", "c1", "-n", "2"], 0, out="10\n12\n")
    # One argument holding all the words works too.
    fresh("c2", "INCREMENT BY -1 MINVALUE -5 MAXVALUE 0 START 0 CYCLE WINDOW 16")
    st = stat("c2")
    check(st.get("increment") == "-1" and st.get("cycle") == "true",
          "create: words in one argument", str(st))
    # The window belongs to an open: NUMSEQ_WINDOW sets it for every open.
    ENV["NUMSEQ_WINDOW"] = "16"
    st = stat("c2")
    check(st.get("window") == "16", "NUMSEQ_WINDOW sets the window", str(st))
    ENV["NUMSEQ_WINDOW"] = "0"
    expect(["stat", "c2"], 2, err="NUMSEQ_WINDOW")
    del ENV["NUMSEQ_WINDOW"]
    expect(["create", "c1"], 6, err="exists", what="create over an existing journal")
    expect(["create"], 2, err="missing FILE")
    expect(["create", "x1", "INCREMENT", "BY", "two"], 2,
           err='invalid input syntax for type bigint: "two"')
    expect(["create", "x1", "MAXVALUE", "99999999999999999999"], 2,
           err='value "99999999999999999999" is out of range for type bigint')
    expect(["create", "x1", "MAXVALUE", "1.5"], 2, err="invalid input syntax")
    expect(["create", "x1", "BOGUS", "1"], 2, err='unknown option "BOGUS"')
    expect(["create", "x1", "MAXVALUE"], 2, err="MAXVALUE needs a number")
    expect(["create", "x1", "START", "1", "START", "2"], 2,
           err="conflicting or redundant options")
    expect(["create", "x1", "MAXVALUE", "5", "NO", "MAXVALUE"], 2,
           err="conflicting or redundant options")
    expect(["create", "x1", "NO", "FOO"], 2, err="NO must be followed")
    expect(["create", "x1", "AS", "text"], 2, err="sequence type must be smallint")
    expect(["create", "x1", "CLAIMS", "SOMETIMES"], 2, err="CLAIMS must be")
    expect(["create", "x1", "CONFLICT"], 2, err="CONFLICT needs CLAIMS")
    expect(["create", "x1", "WINDOW", "0"], 2, err="out of range")
    # PostgreSQL's own validation: exit 1, its message.
    expect(["create", "x1", "MINVALUE", "5", "MAXVALUE", "1"], 1,
           err="MINVALUE (5) must be less than MAXVALUE (1)")
    expect(["create", "x1", "INCREMENT", "0"], 1, err="INCREMENT must not be zero")
    expect(["create", "x1", "CACHE", "0"], 1, err="CACHE (0) must be greater than zero")
    expect(["create", "x1", "AS", "smallint", "MAXVALUE", "40000"], 1,
           err="MAXVALUE (40000) is out of range for sequence data type smallint")
    expect(["create", "x1", "START", "0"], 1,
           err="START value (0) cannot be less than MINVALUE (1)")
    check(not os.path.exists(os.path.join(WORK, "x1")), "failed creates leave no journal")


def test_nextval_setval_restart_alter():
    fresh("n", "MAXVALUE", "5", "NAME", "s")
    expect(["nextval", "n"], 0, out=lambda o: o == "1\n")
    expect(["nextval", "n", "-n", "3"], 0, out=lambda o: o == "2\n3\n4\n")
    o, _ = expect(["nextval", "n", "-n3"], 1,
                  err='nextval: reached maximum value of sequence "s" (5)')
    check(o == "5\n", "nextval -n: the values taken before the error are printed", o)
    expect(["nextval", "n", "-n", "0"], 2, err="out of range")
    expect(["nextval", "n", "-n", "x"], 2, err="invalid input syntax")
    expect(["nextval", "n", "-k"], 2, err="unexpected argument")
    expect(["setval", "n", "2"], 0, out=lambda o: o == "2\n")
    expect(["nextval", "n"], 0, out=lambda o: o == "3\n")
    expect(["setval", "n", "2", "--is-called=false"], 0, out="2")
    expect(["nextval", "n"], 0, out=lambda o: o == "2\n")
    expect(["setval", "n", "4", "--is-called", "f"], 0)
    expect(["nextval", "n"], 0, out=lambda o: o == "4\n")
    expect(["setval", "n", "9"], 1, err='setval: value 9 is out of bounds for sequence "s" (1..5)')
    expect(["setval", "n", "2", "--is-called=maybe"], 2, err="invalid input syntax for type boolean")
    expect(["setval", "n"], 2, err="missing V")
    expect(["setval", "n", "--", "2"], 2)
    expect(["restart", "n"], 0, out=lambda o: o == "")
    expect(["nextval", "n"], 0, out=lambda o: o == "1\n")
    expect(["restart", "n", "3"], 0)
    expect(["nextval", "n"], 0, out=lambda o: o == "3\n")
    expect(["restart", "n", "7"], 1, err="RESTART value (7) cannot be greater than MAXVALUE (5)")
    expect(["restart", "n", "x"], 2)
    expect(["alter", "n", "MAXVALUE", "50", "INCREMENT", "BY", "10", "RESTART", "WITH", "20"], 0)
    expect(["nextval", "n", "-n", "2"], 0, out=lambda o: o == "20\n30\n")
    expect(["alter", "n", "MINVALUE", "60"], 1, err="MINVALUE (60) must be less than MAXVALUE (50)")
    expect(["alter", "n", "NAME", "t"], 2, err="NAME can only be given at create")
    expect(["alter", "n"], 2, err="no options given")
    expect(["alter", "n", "RESTART"], 0)
    expect(["nextval", "n"], 0, out=lambda o: o == "1\n")
    st = stat("n")
    check(st.get("last_value") == "1" and st.get("maxvalue") == "50", "alter persisted", str(st))


def test_claims_stat():
    fresh("cl", "CLAIMS", "LOWEST_FREE", "MAXVALUE", "10", "NAME", "slots")
    expect(["claim", "cl", "3"], 0)
    expect(["claim", "cl", "7"], 0)
    expect(["claim", "cl", "3"], 1, err="duplicate key value violates unique constraint")
    expect(["nextval", "cl", "-n", "3"], 0, out=lambda o: o == "1\n2\n4\n")
    expect(["release", "cl", "2"], 0)
    expect(["release", "cl", "2"], 1)
    expect(["claim", "cl", "11"], 1)
    expect(["claim", "cl", "x"], 2)
    expect(["claim", "cl"], 2, err="missing N")
    st = stat("cl")
    check(st.get("claims") == "lowest_free" and st.get("claimed") == "4" and
          st.get("claimed_max") == "7" and st.get("claimed_min") == "1" and
          st.get("first_free") == "2", "stat: claims", str(st))
    expect(["nextval", "cl"], 0, out=lambda o: o == "2\n")
    fresh("nc", "NAME", "plain")
    expect(["claim", "nc", "1"], 1, err="has no claimed-number bitmap")
    st = stat("nc")
    for k in ["name", "last_value", "is_called", "type", "start", "increment", "minvalue",
              "maxvalue", "cache", "cycle", "claims", "window", "journal_bytes",
              "journal_records", "clean_open", "truncated_bytes", "gap", "gap_count",
              "gap_events", "gap_values"]:
        check(k in st, f"stat has {k}", str(st))
    check("claimed" not in st, "stat: no claim figures without a bitmap", str(st))


def test_compact_dump():
    fresh("cp", "NAME", "s")
    for _ in range(5):
        expect(["nextval", "cp"], 0)
    before = stat("cp")
    o, _ = expect(["compact", "cp"], 0, out="compacted: ")
    expect(["check", "cp"], 0, out="verdict: clean")
    after = stat("cp")
    check(after["last_value"] == before["last_value"], "compact keeps the state", f"{before} {after}")
    expect(["nextval", "cp"], 0, out=lambda o: o == "6\n")
    o, _ = expect(["dump", "cp"], 0)
    lines = o.splitlines()
    check(lines[0].startswith("header version=1 "), "dump: header line", o)
    check(all(l.startswith("record lsn=") for l in lines[1:-1]), "dump: record lines", o)
    check(lines[-1].startswith('end verdict="clean"'), "dump: end line", o)
    check('type="SNAPSHOT"' in o, "dump: the compacted base is a SNAPSHOT", o)
    o, _ = expect(["dump", "--json", "cp"], 0)
    objs = check_json_lines(o, "dump --json")
    if objs:
        check(objs[0]["kind"] == "header" and objs[-1]["kind"] == "end" and
              objs[-1]["verdict"] == "clean" and
              all(x["kind"] == "record" and "lsn" in x and "type" in x for x in objs[1:-1]),
              "dump --json: header, records, end", o)
    expect(["dump"], 2, err="missing FILE")
    expect(["dump", "cp", "cp"], 2)


def test_bad_files():
    expect(["stat", "missing"], 6, err="does not exist")
    expect(["nextval", "missing"], 6)
    expect(["check", "missing"], 6)
    expect(["dump", "missing"], 6)
    expect(["run", "missing"], 6, stdin="nextval\n")
    check(not os.path.exists(os.path.join(WORK, "missing")), "nothing creates a missing journal")
    rnd = random.Random(7)
    with open(os.path.join(WORK, "foreign"), "wb") as f:
        f.write(bytes(rnd.randrange(256) for _ in range(500)))
    expect(["stat", "foreign"], 3, err="not a numseq journal")
    expect(["nextval", "foreign"], 3)
    expect(["check", "foreign"], 3, out="verdict: not-a-journal")
    expect(["dump", "foreign"], 3)
    expect(["repair", "foreign", "--next-at-least", "1"], 3)
    open(os.path.join(WORK, "empty"), "wb").close()
    expect(["stat", "empty"], 3)
    expect(["check", "empty"], 3, out="verdict: not-a-journal")
    os.makedirs(os.path.join(WORK, "adir"), exist_ok=True)
    expect(["stat", "adir"], 6)
    expect(["check", "adir"], 6)
    if not os.path.lexists(os.path.join(WORK, "alink")):
        os.symlink("nc", os.path.join(WORK, "alink"))
    expect(["stat", "alink"], 6, err="symbolic link")
    expect(["check", "alink"], 6)


def read_bytes(name):
    with open(os.path.join(WORK, name), "rb") as f:
        return f.read()


def test_torn():
    fresh("t", "NAME", "s", "WINDOW", "10")
    expect(["nextval", "t", "-n", "3"], 0)
    data = read_bytes("t")
    with open(os.path.join(WORK, "t"), "wb") as f:
        f.write(data[:-7])   # cut into the last record (the clean close)
    before = read_bytes("t")
    mtime = os.stat(os.path.join(WORK, "t")).st_mtime_ns
    o, _ = expect(["check", "t"], 0, out="verdict: torn")
    check("open: truncates the torn tail" in o, "check: says open truncates", o)
    expect(["dump", "t"], 0, out='end verdict="torn"')
    check(read_bytes("t") == before and os.stat(os.path.join(WORK, "t")).st_mtime_ns == mtime,
          "check and dump do not modify the file")
    st = stat("t")
    check(int(st["truncated_bytes"]) > 0 and st["gap"] != "none", "open truncated, gap recorded",
          str(st))
    expect(["check", "t"], 0, out="verdict: clean")
    o, _ = expect(["nextval", "t"], 0)
    check(int(o) > 3, "after a torn tail numbering goes on past what was handed out", o)


def corrupt_acknowledged(name):
    """Flips a byte inside the first record after the base: later records
    carry a durable_lsn that proves it was acknowledged."""
    o, _ = expect(["dump", "--json", name], 0)
    recs = [x for x in check_json_lines(o, "dump") if x["kind"] == "record"]
    victim = recs[1]
    data = bytearray(read_bytes(name))
    data[victim["offset"] + victim["length"] - 2] ^= 0x5A
    with open(os.path.join(WORK, name), "wb") as f:
        f.write(data)


def test_corrupt_repair():
    fresh("r", "NAME", "s", "WINDOW", "100")
    for _ in range(3):
        expect(["nextval", "r", "-n", "2"], 0)
    corrupt_acknowledged("r")
    o, _ = expect(["check", "r"], 3, out="verdict: corrupt")
    check("open: refuses" in o and "repair" in o, "check: says open refuses, names repair", o)
    expect(["nextval", "r"], 3, err="numseq repair")
    expect(["run", "r"], 3, stdin="nextval\n")
    expect(["repair", "r"], 2, err="missing --next-at-least")
    expect(["repair", "r", "--next-at-least", "zz"], 2, err="invalid input syntax")
    expect(["repair", "--next-at-least", "5"], 2, err="missing FILE")
    o, _ = expect(["repair", "r", "--next-at-least", "1000"], 0, out="repaired: r")
    at = [int(l.split()[1]) for l in o.splitlines() if l.startswith("resumes_at: ")]
    check(at and at[0] >= 1000, "repair: resumes at V or later", o)
    kept = [f for f in os.listdir(WORK) if f.startswith("r.damaged-")]
    check(len(kept) == 1, "repair keeps the damaged file", str(os.listdir(WORK)))
    check(not os.path.exists(os.path.join(WORK, "r.repair")), "repair leaves no temporary file")
    expect(["check", "r"], 0, out="verdict: clean")
    expect(["nextval", "r"], 0, out=lambda o: at and o == f"{at[0]}\n")
    expect(["repair", "r", "--next-at-least", "1"], 1, err="nothing to repair")
    # V below the last valid reservation: resumes past the reservation.
    fresh("r2", "NAME", "s", "WINDOW", "50")
    for _ in range(3):
        expect(["nextval", "r2"], 0)
    corrupt_acknowledged("r2")
    o, _ = expect(["repair", "r2", "--next-at-least", "2"], 0)
    line = [l for l in o.splitlines() if l.startswith("resumes_at: ")]
    check(line and int(line[0].split()[1]) > 3, "repair: never below the last reservation", o)
    o2, _ = expect(["nextval", "r2"], 0)
    check(line and o2.strip() == line[0].split()[1], "repair: nextval returns resumes_at", o + o2)
    # With claims: the claimed numbers survive.
    fresh("r3", "CLAIMS", "CYCLIC", "MAXVALUE", "100", "NAME", "c")
    expect(["claim", "r3", "5"], 0)
    expect(["claim", "r3", "9"], 0)
    expect(["nextval", "r3"], 0)
    corrupt_acknowledged("r3")
    expect(["check", "r3"], 3)
    o, _ = expect(["repair", "r3", "--next-at-least", "1"], 0, out="claimed_restored: ")
    expect(["check", "r3"], 0)
    st = stat("r3")
    # The record we flipped may be one of the claims: the valid prefix decides.
    check(int(st.get("claimed", "0")) >= 1, "repair: claims restored", str(st) + o)
    expect(["repair", "r3", "--next-at-least", "1000"], 1)


def test_run_cases():
    names = sorted(f[:-4] for f in os.listdir(CASES) if f.endswith(".run"))
    check(len(names) >= 4, "run cases present", str(names))
    for name in names:
        with open(os.path.join(CASES, name + ".run")) as f:
            script = f.read()
        with open(os.path.join(CASES, name + ".expected")) as f:
            want = f.read()
        first = script.splitlines()[0]
        check(first.startswith("# create:"), f"case {name}: first line is '# create: OPTIONS'")
        code = 0
        for line in script.splitlines():
            if line.startswith("# exit:"):
                code = int(line.split(":", 1)[1])
        fresh("case-" + name, first.split(":", 1)[1])
        rc, o, e = run(["run", "case-" + name], stdin=script)
        check(rc == code, f"case {name}: exit {rc}, expected {code}", e)
        check(o == want, f"case {name}: output differs", f"--- got\n{o}--- expected\n{want}")
        no_sanitizer(e, f"case {name}")


def test_lock():
    fresh("lk", "NAME", "s")
    p = subprocess.Popen([TOOL, "run", "lk"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, errors="replace", cwd=WORK,
                         env=ENV)
    try:
        p.stdin.write("nextval\n")
        p.stdin.flush()
        first = p.stdout.readline()
        check(first == "1\n", "lock: the first run works", first)
        expect(["run", "lk"], 5, stdin="nextval\n", err="in use",
               what="second run on a locked journal")
        expect(["nextval", "lk"], 5, what="nextval on a locked journal")
        expect(["check", "lk"], 0, out="verdict: clean", what="check ignores the lock")
        expect(["repair", "lk", "--next-at-least", "1"], 5, what="repair takes the lock")
        p.stdin.write("nextval\n")
        p.stdin.flush()
        check(p.stdout.readline() == "2\n", "lock: the first run still works")
    finally:
        p.stdin.close()
        rc = p.wait(timeout=30)
    check(rc == 0, f"lock: the first run exits 0 (got {rc})")
    expect(["nextval", "lk"], 0, out=lambda o: o == "3\n", what="after the holder exits")


def test_kill9():
    fresh("k", "NAME", "s", "WINDOW", "8")
    p = subprocess.Popen([TOOL, "run", "k"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, errors="replace", cwd=WORK,
                         env=ENV)
    got = []
    for _ in range(20):
        p.stdin.write("nextval\n")
        p.stdin.flush()
        got.append(int(p.stdout.readline()))
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=30)
    st = stat("k")
    check(st["clean_open"] == "false" and st["gap"] != "none" and int(st["gap_events"]) == 1,
          "kill -9: the next open reports the gap", str(st))
    o, _ = expect(["nextval", "k"], 0)
    check(int(o) > max(got), "kill -9: no number handed out twice", f"{got} then {o}")


def test_run_errors():
    fresh("re", "MAXVALUE", "3", "NAME", "s")
    rc, o, e = run(["run", "re"], stdin="nextval\nstat\n")
    check(rc == 0 and o.startswith("1\nname=s last_value=1 "), "run: exit 0 without errors", o + e)
    expect(["run"], 2, err="missing FILE")
    expect(["run", "re", "extra"], 2)
    long_line = "nextval " + "9" * 100000 + "\n"
    rc, o, e = run(["run", "re"], stdin=long_line + "x " * 100 + "\n" + "nextval \x01\n")
    check(rc == 1 and o.count("ERROR: ") == 3, "run: huge and odd lines are errors", o + e)


def fuzz(seed, rounds):
    rnd = random.Random(seed)
    words = ["create", "nextval", "setval", "restart", "alter", "claim", "release", "stat",
             "check", "repair", "compact", "dump", "run", "help", "--help", "--json", "-n",
             "--is-called=true", "--is-called", "--next-at-least", "AS", "smallint", "INCREMENT",
             "BY", "MINVALUE", "MAXVALUE", "NO", "START", "WITH", "CACHE", "CYCLE", "CLAIMS",
             "LOWEST_FREE", "CYCLIC", "SEQUENCE", "CONFLICT", "WINDOW", "NAME", "RESTART",
             "currval", "lastval", "is_claimed", "read", "discard", "true", "false", "0", "1",
             "-1", "3", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
             "", " ", "-", "--", "1e5", "0x10", "fz", "fz2", "missing", "foreign"]
    def word():
        r = rnd.random()
        if r < 0.8:
            return rnd.choice(words)
        if r < 0.9:
            return str(rnd.randint(-2**64, 2**64))
        return "".join(chr(rnd.randint(1, 0x2FF)) for _ in range(rnd.randint(0, 12)))
    fresh("fz", "MAXVALUE", "1000", "CYCLE")
    fresh("fz2", "CLAIMS", "LOWEST_FREE", "MAXVALUE", "64")
    for i in range(rounds):
        argv = [word() for _ in range(rnd.randint(0, 6))]
        if argv and argv[0] == "create" and len(argv) > 1 and argv[1] in ("fz", "fz2"):
            argv[1] = "fz-created"
        if "run" in argv[:1]:
            argv = argv[:2]
        lines = "\n".join(" ".join(word() for _ in range(rnd.randint(0, 5)))
                          for _ in range(rnd.randint(0, 8)))
        try:
            rc, o, e = run(argv, stdin=lines, timeout=30)
        except subprocess.TimeoutExpired:
            check(False, f"fuzz seed {seed} round {i}: {argv!r} hung")
            continue
        check(rc in EXIT_CODES, f"fuzz seed {seed} round {i}: {argv!r} stdin {lines!r}: exit {rc}",
              e)
        no_sanitizer(e, f"fuzz seed {seed} round {i}: {argv!r}")
        if os.path.exists(os.path.join(WORK, "fz-created")):
            os.unlink(os.path.join(WORK, "fz-created"))
    # run's stdin alone, many lines on one open.
    for i in range(20):
        lines = "\n".join(" ".join(word() for _ in range(rnd.randint(0, 6)))
                          for _ in range(200)) + "\n"
        rc, o, e = run(["run", "fz2" if i % 2 else "fz"], stdin=lines)
        n_cmds = 0
        for l in lines.split("\n"):
            w = [x for x in re.split(r"[ \t\r\v\f]+", l) if x]
            n_cmds += 1 if w and not w[0].startswith("#") else 0
        check(rc in (0, 1) and o.count("\n") == n_cmds,
              f"fuzz seed {seed} run {i}: exit {rc}, {o.count(chr(10))} lines for {n_cmds} commands",
              e[-2000:])
        no_sanitizer(e, f"fuzz seed {seed} run {i}")


def main():
    global TOOL, WORK, CASES, ENV
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--cases", required=True)
    ap.add_argument("--fuzz-rounds", type=int,
                    default=int(os.environ.get("NUMSEQ_CLI_FUZZ_ROUNDS", "300")))
    a = ap.parse_args()
    TOOL, CASES = os.path.abspath(a.tool), os.path.abspath(a.cases)
    WORK = os.path.abspath(a.work)
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    ENV = env()
    seed = int(os.environ.get("NUMSEQ_SEED", str(int(time.time() * 1000) % 2**31)))
    tests = [test_help, test_create, test_nextval_setval_restart_alter, test_claims_stat,
             test_compact_dump, test_bad_files, test_torn, test_corrupt_repair, test_run_cases,
             test_lock, test_kill9, test_run_errors]
    for t in tests:
        before = len(failures)
        t()
        print(f"{'ok  ' if len(failures) == before else 'FAIL'} {t.__name__}", flush=True)
    print(f"fuzz: seed {seed} (NUMSEQ_SEED={seed} replays), {a.fuzz_rounds} rounds", flush=True)
    before = len(failures)
    fuzz(seed, a.fuzz_rounds)
    print(f"{'ok  ' if len(failures) == before else 'FAIL'} fuzz", flush=True)
    print(f"{checks} checks, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
