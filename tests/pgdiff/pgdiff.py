#!/usr/bin/env python3
"""pgdiff.py - randomized differential test of numseq against PostgreSQL 15.

Generates random scenarios (a CREATE SEQUENCE followed by a random mix of
nextval, setval, ALTER, RESTART, reads, currval, lastval and DISCARD),
runs each one on a PostgreSQL server (one connection = one session,
autocommit) and on numseq through pgdiff_driver (one thread = one session),
and compares the two outputs line by line.  On the first mismatch it shrinks
the scenario, prints it as SQL and as driver commands with both outputs, and
exits 1.

  pgdiff.py --driver build/.../pgdiff_driver --host /tmp/sockdir --port 54329 \\
            [--seed S] [--scenarios N] [--ops M] [--sessions K] [--only I]
            [--keep-going] [--stats] [--verbose]
  pgdiff.py --driver ... --host ... --script FILE     (replay driver commands)

With --sessions K each scenario uses 1..K sessions: PostgreSQL connections
on one side, driver threads on the other ("@k nextval" runs in session k),
still one command at a time, so that cross-session CACHE, RESTART, ALTER
and setval behaviour is compared too.

Deliberate differences (docs/semantics.md section 13) are kept out: each
scenario starts with DROP SEQUENCE and DISCARD SEQUENCES in every session
(lastval after DROP), values stay within int64 (input syntax), no option is
repeated except the pairs numseq can express (MIN with NO MIN, ...), and
CACHE stays <= 100 (PostgreSQL fills a cache value by value).

Scenario i of seed S is generated from random.Random("S/i"), so
`--seed S --only I` replays one scenario.  The generator peeks at the
sequence's state in PostgreSQL (read-only queries, not compared) to aim its
values at the current bounds and last_value; PostgreSQL is deterministic
within one session, so a seed always replays the same commands.

Needs Python 3 and psycopg2 (Debian: python3-psycopg2).  tests/pgdiff/run.sh
starts a private server and calls this script.
"""

import argparse
import collections
import os
import random
import re
import subprocess
import sys
import time

try:
    import psycopg2
except ImportError:  # pragma: no cover - run.sh installs it
    sys.exit("pgdiff: psycopg2 is missing (Debian: apt-get install python3-psycopg2)")

I64_MIN = -(2 ** 63)
I64_MAX = 2 ** 63 - 1
I32_MIN, I32_MAX = -(2 ** 31), 2 ** 31 - 1
I16_MIN, I16_MAX = -(2 ** 15), 2 ** 15 - 1
TYPE_RANGE = {
    "smallint": (I16_MIN, I16_MAX),
    "integer": (I32_MIN, I32_MAX),
    "bigint": (I64_MIN, I64_MAX),
}
# Spellings the driver maps to numseq's three types, and types PostgreSQL
# knows but refuses for a sequence (the driver passes an invalid type).
TYPE_ALIASES = {"smallint": ["smallint", "int2"], "integer": ["integer", "int", "int4"],
                "bigint": ["bigint", "int8"]}
BAD_TYPES = ["numeric", "text", "real", "boolean", "oid"]

EXTREMES = [I16_MIN - 1, I16_MIN, I16_MIN + 1, I16_MAX - 1, I16_MAX, I16_MAX + 1,
            I32_MIN - 1, I32_MIN, I32_MIN + 1, I32_MAX - 1, I32_MAX, I32_MAX + 1,
            I64_MIN, I64_MIN + 1, I64_MIN + 2, I64_MAX - 2, I64_MAX - 1, I64_MAX]
SMALL = list(range(-6, 7)) + [10, -10, 20, -20, 50, 100, -100]
INCREMENTS = [1, 1, 1, -1, -1, 2, -2, 3, -3, 3, -3, 7, -7, 100, -100,
              I64_MIN, I64_MAX, I64_MIN + 1, I64_MAX - 1, 2 ** 62, -(2 ** 62),
              I16_MAX, I16_MIN, 65536, I32_MAX, I32_MIN, 2 ** 32 + 1]


def clamp(v):
    return max(I64_MIN, min(I64_MAX, v))


# --------------------------------------------------------------------------
# The two sides.  Both turn one driver command line into one result line.


class DriverDied(Exception):
    pass


class Driver:
    """pgdiff_driver run in lock step: one line in, one line out."""

    def __init__(self, path):
        self.path = path
        self.proc = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen([self.path], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)

    def run(self, cmd):
        try:
            self.proc.stdin.write(cmd + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except (BrokenPipeError, OSError):
            line = ""
        if not line:
            rc = self.proc.wait()
            self.start()
            return "DRIVER CRASHED (exit status %s)" % rc
        return line.rstrip("\n")

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


OPTIONS_SQL = ("SELECT data_type::regtype, start_value, min_value, max_value, "
               "increment_by, cycle, cache_size FROM pg_sequences "
               "WHERE schemaname = 'public' AND sequencename = 's'")


def to_sql(cmd):
    """The SQL statement for a driver command (None: driver-only)."""
    w = cmd.split()
    if w[0].startswith("@"):
        w = w[1:]
    verb, rest = w[0], " ".join(w[1:])
    if verb == "create":
        # the driver's create replaces the sequence; a script that creates
        # twice should DISCARD first (lastval after DROP is a deliberate
        # difference, docs/semantics.md section 13)
        return "DROP SEQUENCE IF EXISTS s; CREATE SEQUENCE s" + (" " + rest if rest else "")
    if verb == "alter":
        return "ALTER SEQUENCE s " + rest
    if verb == "restart":
        return "ALTER SEQUENCE s RESTART" + (" " + rest if rest else "")
    if verb == "nextval":
        return "SELECT nextval('s')"
    if verb == "setval":
        return "SELECT setval('s', '%s'::bigint, %s)" % (w[1], w[2])
    if verb == "read":
        return "SELECT last_value, is_called FROM s"
    if verb == "options":
        return OPTIONS_SQL
    if verb == "currval":
        return "SELECT currval('s')"
    if verb == "lastval":
        return "SELECT lastval()"
    if verb == "discard":
        return "DISCARD SEQUENCES"
    if verb == "rebase_at":
        return None
    raise ValueError("no SQL for %r" % cmd)


def to_verb(cmd):
    w = cmd.split()
    return w[1] if w[0].startswith("@") else w[0]


def fmt(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def session_of(cmd):
    return int(cmd.split()[0][1:]) if cmd.startswith("@") else 0


class Pg:
    """One connection per session (autocommit), plus one that only peeks."""

    def __init__(self, connargs, sessions):
        self.curs = []
        for _ in range(sessions + 1):
            conn = psycopg2.connect(**connargs)
            conn.autocommit = True
            self.curs.append(conn.cursor())
        self.peeker = self.curs.pop()
        self.peeker.execute("SHOW server_version")
        self.version = self.peeker.fetchone()[0]

    def reset(self):
        """Before a scenario: no sequence s (not compared)."""
        self.peeker.execute("DROP SEQUENCE IF EXISTS s")

    def run(self, cmd):
        sql = to_sql(cmd)
        if sql is None:
            return "ok"
        cur = self.curs[session_of(cmd)]
        try:
            # one statement per execute: a multi-statement string is one
            # transaction, and a failed CREATE would undo the DROP before it
            for stmt in sql.split("; "):
                cur.execute(stmt)
        except psycopg2.Error as e:
            if e.pgcode is None:
                raise
            return "ERROR %s %s" % (e.pgcode, e.diag.message_primary)
        if cur.description is None:
            return "ok"
        rows = cur.fetchall()
        if not rows:
            return "(no row)"
        return " ".join(fmt(v) for v in rows[0])

    def peek(self):
        """The sequence's state, for the generator only: read-only queries
        on a connection of their own, which never calls nextval."""
        cur = self.peeker
        cur.execute("SELECT last_value, is_called FROM s")
        last, called = cur.fetchone()
        cur.execute(OPTIONS_SQL)
        typ, start, lo, hi, inc, cycle, cache = cur.fetchone()
        return dict(last=last, called=called, type=typ, start=start, min=lo, max=hi,
                    inc=inc, cycle=cycle, cache=cache)


# --------------------------------------------------------------------------
# The generator.


class Gen:
    def __init__(self, r, sessions=1):
        self.r = r
        self.sessions = sessions
        self.session = 0
        self.last_result = ""  # the last command's result, set by the runner

    def chance(self, p):
        return self.r.random() < p

    def pick(self, *xs):
        return self.r.choice(xs)

    def near(self, v, spread=2):
        return clamp(v + self.r.randint(-spread, spread))

    def type_word(self, t):
        return self.r.choice(TYPE_ALIASES[t]) if self.chance(0.2) else t

    def value_near_bounds(self, lo, hi, inc=1):
        """A value at, just inside, just outside or between lo..hi."""
        r = self.r
        c = r.random()
        if c < 0.25:
            return self.pick(lo, hi)
        if c < 0.45:
            return clamp(self.pick(lo, hi) + self.pick(-1, 1, -2, 2))
        if c < 0.60:
            return r.randint(min(lo, hi), max(lo, hi))
        if c < 0.70:
            return clamp(self.pick(lo, hi) + self.pick(inc, -inc))
        if c < 0.85:
            return self.pick(*SMALL)
        return self.pick(*EXTREMES)

    # ---- CREATE

    def create(self):
        r = self.r
        o = {}  # option name -> value (None for bare words)
        profile = self.pick("small", "small", "small", "type_edge", "int64_edge",
                            "defaults", "wide_inc", "random")
        typ = None
        if self.chance(0.6):
            typ = self.pick("smallint", "integer", "bigint")
        inc = None
        if profile == "small":
            if self.chance(0.85):
                inc = self.pick(1, 1, -1, -1, 2, -2, 3, -3, 7, -7, 100, -100)
            lo = self.pick(*SMALL)
            width = self.pick(1, 1, 2, 2, 3, 4, 4, 5, 6, 10, 20)
            if self.chance(0.04):
                width = self.pick(0, -1, -5)  # equal or inverted bounds
            hi = lo + width
            if self.chance(0.85):
                o["MINVALUE"] = lo
            if self.chance(0.85):
                o["MAXVALUE"] = hi
            if self.chance(0.6):
                o["START"] = self.value_near_bounds(lo, hi) if self.chance(0.3) else r.randint(min(lo, hi), max(lo, hi))
        elif profile == "type_edge":
            typ = self.pick("smallint", "integer", "bigint", "smallint", "integer")
            tlo, thi = TYPE_RANGE[typ]
            inc = self.pick(*INCREMENTS)
            if self.chance(0.7):
                o["MAXVALUE"] = self.pick(thi, thi, thi - 1, thi - 5, thi + 1, 5, -1, tlo + 3)
            if self.chance(0.7):
                o["MINVALUE"] = self.pick(tlo, tlo, tlo + 1, tlo + 5, tlo - 1, 1, -5, thi - 3)
            if self.chance(0.5):
                o["START"] = self.pick(tlo, thi, tlo + 1, thi - 1, tlo - 1, thi + 1, 1, -1, 0)
        elif profile == "int64_edge":
            typ = self.pick(None, "bigint")
            inc = self.pick(*INCREMENTS)
            if self.chance(0.7):
                o["MINVALUE"] = self.pick(I64_MIN, I64_MIN + 1, I64_MIN + 5, -5, 1, 0, I64_MAX - 5)
            if self.chance(0.7):
                o["MAXVALUE"] = self.pick(I64_MAX, I64_MAX - 1, I64_MAX - 5, 5, -1, 0, I64_MIN + 5)
            if self.chance(0.6):
                o["START"] = self.pick(I64_MIN, I64_MIN + 1, I64_MIN + 3, I64_MAX - 3, I64_MAX - 1,
                                       I64_MAX, 0, -1, 1, I64_MAX - 10, I64_MIN + 10)
        elif profile == "defaults":
            if self.chance(0.8):
                inc = self.pick(1, -1, 3, -3, 100, -100, I64_MIN, I64_MAX)
            if self.chance(0.3):
                o["START"] = self.pick(*(SMALL + EXTREMES))
            if self.chance(0.2):
                o[self.pick("MINVALUE", "MAXVALUE")] = self.pick(*(SMALL + EXTREMES))
        elif profile == "wide_inc":
            inc = self.pick(100, -100, 50, -50, 2 ** 62, -(2 ** 62), I64_MIN, I64_MAX, I64_MAX - 1,
                            I64_MIN + 1, 11, -11)
            lo = self.pick(*SMALL)
            hi = lo + self.pick(1, 2, 5, 10, 49, 50, 99, 100)
            if self.chance(0.1):
                lo, hi = self.pick((I64_MIN, I64_MAX), (I64_MIN, -1), (0, I64_MAX), (I64_MIN, 0))
            o["MINVALUE"] = lo
            o["MAXVALUE"] = hi
            if self.chance(0.5):
                o["START"] = self.value_near_bounds(lo, hi)
        else:  # random
            inc = self.pick(*(INCREMENTS + SMALL))
            for k in ("MINVALUE", "MAXVALUE", "START"):
                if self.chance(0.5):
                    o[k] = self.pick(*(SMALL + EXTREMES))
        if inc is not None:
            o["INCREMENT"] = inc
        if self.chance(0.01):
            o["INCREMENT"] = 0
        if typ is not None:
            o["AS"] = self.type_word(typ)
        if self.chance(0.015):
            o["AS"] = self.pick(*BAD_TYPES)
        if self.chance(0.4 if self.sessions == 1 else 0.7):
            o["CACHE"] = self.pick(1, 1, 7, 7, 2, 3, 100, r.randint(1, 100))
            if self.chance(0.05):
                o["CACHE"] = self.pick(0, -1, I64_MIN)
        if self.chance(0.5):
            o["CYCLE"] = self.pick(True, True, False)
        if self.chance(0.04):
            o["RESTART"] = None if self.chance(0.3) else self.pick(*(SMALL + EXTREMES))
        # NO MINVALUE / NO MAXVALUE at CREATE, now and then, and rarely the
        # conflicting pairs numseq can express (MIN with NO MIN, ...).
        extra = []
        if "MINVALUE" not in o and self.chance(0.08):
            extra.append("NO MINVALUE")
        if "MAXVALUE" not in o and self.chance(0.08):
            extra.append("NO MAXVALUE")
        if self.chance(0.01):
            # one pair only: a repeated word (NO MAXVALUE NO MAXVALUE) is not
            # expressible in the C API
            pair = self.pick("MINVALUE", "MAXVALUE", "RESTART")
            extra = [w for w in extra if pair not in w]
            if pair == "RESTART":
                if self.chance(0.5):
                    extra.append("RESTART")
                    o["RESTART"] = self.pick(*SMALL)
                else:
                    extra.append("RESTART WITH %d" % self.pick(*SMALL))
                    o["RESTART"] = None
            else:
                extra.append("NO " + pair)
                o[pair] = self.pick(*SMALL)
        return "create " + self.render(o, extra)

    def render(self, o, extra=()):
        words = []
        for k, v in o.items():
            if isinstance(v, int) and not isinstance(v, bool):
                v = clamp(v)  # PostgreSQL's "out of range for type bigint" is not numseq's
            if k == "AS":
                words.append("AS %s" % v)
            elif k == "INCREMENT":
                words.append(("INCREMENT BY %d" if self.chance(0.5) else "INCREMENT %d") % v)
            elif k == "START":
                words.append(("START WITH %d" if self.chance(0.5) else "START %d") % v)
            elif k == "CYCLE":
                words.append("CYCLE" if v else "NO CYCLE")
            elif k == "RESTART":
                if v is None:
                    words.append("RESTART")
                else:
                    words.append(("RESTART WITH %d" if self.chance(0.7) else "RESTART %d") % v)
            else:
                words.append("%s %d" % (k, v))
        words.extend(extra)
        self.r.shuffle(words)
        return " ".join(words)

    # ---- ops after a successful CREATE

    def setval(self, st):
        v = self.value_near_bounds(st["min"], st["max"], st["inc"])
        c = self.r.random()
        if c < 0.3:
            v = self.near(st["last"], 2)
        elif c < 0.4:
            # off the START + k*INCREMENT grid
            v = clamp(st["last"] + st["inc"] // 2 + 1)
        return "setval %d %s" % (v, self.pick("true", "false"))

    def restart(self, st):
        if self.chance(0.4):
            return "restart"
        v = self.value_near_bounds(st["min"], st["max"], st["inc"])
        return ("restart WITH %d" if self.chance(0.7) else "restart %d") % v

    def alter(self, st):
        r = self.r
        lo, hi, last, inc = st["min"], st["max"], st["last"], st["inc"]
        kinds = ["INCREMENT", "MINVALUE", "MAXVALUE", "NO MINVALUE", "NO MAXVALUE", "AS",
                 "START", "RESTART", "CACHE", "CYCLE", "MAXVALUE", "MINVALUE", "INCREMENT"]
        chosen = []
        for _ in range(self.pick(1, 1, 1, 2, 2, 3)):
            k = r.choice(kinds)
            if k in chosen or (k == "NO MINVALUE" and "MINVALUE" in chosen) or \
               (k == "MINVALUE" and "NO MINVALUE" in chosen) or \
               (k == "NO MAXVALUE" and "MAXVALUE" in chosen) or \
               (k == "MAXVALUE" and "NO MAXVALUE" in chosen):
                continue
            chosen.append(k)
        o, extra = {}, []
        for k in chosen:
            if k == "INCREMENT":
                o[k] = self.pick(-inc if inc != I64_MIN else I64_MAX, 1, -1, 3, -3, 100, -100,
                                 I64_MIN, I64_MAX, 2 ** 62, -(2 ** 62), 7, -7)
                if self.chance(0.02):
                    o[k] = 0
            elif k == "MINVALUE":
                tlo = TYPE_RANGE.get(st["type"], (I64_MIN, I64_MAX))[0]
                o[k] = self.pick(self.near(last, 1), self.near(lo, 1), tlo, tlo - 1, tlo + 1,
                                 self.near(st["start"], 1), self.pick(*SMALL), self.pick(*EXTREMES),
                                 clamp(last - inc))
            elif k == "MAXVALUE":
                thi = TYPE_RANGE.get(st["type"], (I64_MIN, I64_MAX))[1]
                o[k] = self.pick(self.near(last, 1), self.near(hi, 1), thi, thi + 1, thi - 1,
                                 self.near(st["start"], 1), self.pick(*SMALL), self.pick(*EXTREMES),
                                 clamp(last + inc))
            elif k in ("NO MINVALUE", "NO MAXVALUE"):
                extra.append(k)
            elif k == "AS":
                o[k] = self.type_word(self.pick("smallint", "integer", "bigint"))
                if self.chance(0.02):
                    o[k] = self.pick(*BAD_TYPES)
            elif k == "START":
                o[k] = self.value_near_bounds(lo, hi, inc)
            elif k == "RESTART":
                o[k] = None if self.chance(0.35) else self.value_near_bounds(lo, hi, inc)
            elif k == "CACHE":
                o[k] = self.pick(1, 1, 7, 2, 100, r.randint(1, 100))
                if self.chance(0.05):
                    o[k] = self.pick(0, -3)
            elif k == "CYCLE":
                o[k] = not st["cycle"] if self.chance(0.8) else st["cycle"]
        if self.chance(0.015):
            # the conflicting pairs numseq can express
            pair = self.pick("MINVALUE", "MAXVALUE", "RESTART")
            extra = [w for w in extra if pair not in w]
            if pair == "RESTART":
                o["RESTART"] = 5
                extra.append("RESTART")
            else:
                o[pair] = 5
                extra.append("NO " + pair)
        if not o and not extra:
            o["CYCLE"] = not st["cycle"]
        return "alter " + self.render(o, extra)

    def ops(self, peek):
        """Yields op batches (lists of commands); peek() gives the state."""
        r = self.r
        table = [("nextval", 30), ("burst", 12), ("setval", 12), ("alter", 16),
                 ("restart", 4), ("read", 9), ("options", 5), ("currval", 5),
                 ("lastval", 4), ("discard", 2)]
        names = [n for n, _ in table]
        weights = [w for _, w in table]
        while True:
            k = r.choices(names, weights)[0]
            if self.last_result.startswith("ERROR 2200H") and k in ("nextval", "burst") \
                    and self.chance(0.6):
                k = self.pick("setval", "setval", "alter", "restart")
            if self.sessions > 1 and self.chance(0.4):
                self.session = r.randrange(self.sessions)
            at = "@%d " % self.session if self.session else ""
            if k == "burst":
                yield [at + "nextval"] * r.randint(2, 12)
            elif k in ("setval", "alter", "restart"):
                st = peek()
                yield [at + getattr(self, k)(st)]
            else:
                yield [at + k]


# --------------------------------------------------------------------------
# Running and comparing.


class Mismatch(Exception):
    pass


class Runner:
    def __init__(self, pg, drv, args):
        self.pg = pg
        self.drv = drv
        self.args = args
        self.count = collections.Counter()   # commands compared, by verb
        self.outcomes = collections.Counter()  # result classes seen
        self.compared = 0
        self.counting = True

    def step(self, cmd, log, gen=None):
        p = self.pg.run(cmd)
        d = self.drv.run(cmd)
        log.append((cmd, p, d))
        if gen is not None:
            gen.last_result = p
        if not self.counting:
            if p != d:
                raise Mismatch()
            return p
        self.compared += 1
        verb = to_verb(cmd)
        self.count[verb] += 1
        if p.startswith("ERROR"):
            # class: verb, SQLSTATE and the message with its numbers as N
            state, msg = p.split(" ", 2)[1:]
            self.outcomes["%s: %s %s" % (verb, state, re.sub(r"-?\d+", "N", msg))] += 1
        else:
            self.outcomes["%s: ok" % verb] += 1
        if p != d:
            raise Mismatch()
        return p

    def scenario(self, seed, idx, log):
        """Runs scenario idx; raises Mismatch (log holds the commands)."""
        r = random.Random("%s/%d" % (seed, idx))
        g = Gen(r, r.randint(1, self.args.sessions))
        self.pg.reset()
        for k in range(g.sessions):
            self.step("@%d discard" % k if k else "discard", log)
        created = False
        for _ in range(3):
            if self.step(g.create(), log) == "ok":
                created = True
                break
        if not created:
            return
        if g.chance(0.3):
            self.step("rebase_at %d" % g.pick(1, 2, 3, 5, 8, 64), log)
        n = 0
        for batch in g.ops(self.pg.peek):
            for cmd in batch:
                if n >= self.args.ops:
                    return
                self.step(cmd, log, g)
                n += 1

    def replay(self, cmds):
        """Runs cmds from scratch; returns (log, index of the first mismatch or None)."""
        self.pg.reset()
        log = []
        for i, cmd in enumerate(cmds):
            try:
                self.step(cmd, log)
            except Mismatch:
                return log, i
        return log, None

    def shrink(self, cmds):
        """Greedy: drop chunks, then single commands, while the last command
        still mismatches with the same verb.  The first command (discard),
        the create that succeeded and the failing command stay."""

        def fails(cand):
            _, i = self.replay([c for _, c in cand])
            return i is not None and i == len(cand) - 1

        items = list(enumerate(cmds))
        first_create = min(i for i, c in items if to_verb(c) == "create")
        last_create = max(i for i, c in items if to_verb(c) == "create")
        # the leading DISCARDs stay: lastval after DROP is a deliberate difference
        keep = set(range(first_create)) | {last_create, len(cmds) - 1}
        self.counting = False
        chunk = max(1, len(items) // 2)
        while chunk >= 1:
            pos = len(items) - 2
            while pos >= 1:
                lo = max(1, pos - chunk + 1)
                drop = {items[j][0] for j in range(lo, pos + 1) if items[j][0] not in keep}
                if drop:
                    cand = [it for it in items if it[0] not in drop]
                    if fails(cand):
                        items = cand
                pos = lo - 1
            chunk //= 2
        self.counting = True
        return [c for _, c in items]


def show(title, log, bad):
    out = [title, "", "-- as SQL (autocommit; session 0 unless marked /* session k */):",
           "DROP SEQUENCE IF EXISTS s;"]
    for cmd, _, _ in log:
        sql = to_sql(cmd)
        k = session_of(cmd)
        tag = "/* session %d */ " % k if k else ""
        out.append(tag + sql + ";" if sql is not None else "-- (driver only) " + cmd)
    out += ["", "-- as pgdiff_driver commands:"]
    out += [cmd for cmd, _, _ in log]
    out += ["", "-- results (PostgreSQL | numseq):"]
    for i, (cmd, p, d) in enumerate(log):
        mark = "  <<< MISMATCH" if i == bad else ""
        out.append("%-60s | %s%s" % (cmd, p, mark))
        if p != d:
            out.append("%-60s | %s" % ("", d))
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--driver", required=True, help="path to pgdiff_driver")
    ap.add_argument("--host", default=None, help="PostgreSQL host or socket directory")
    ap.add_argument("--port", type=int, default=5432)
    ap.add_argument("--user", default="postgres")
    ap.add_argument("--dbname", default="postgres")
    ap.add_argument("--seed", default=None,
                    help="seed (default: $NUMSEQ_SEED, else random; printed)")
    ap.add_argument("--scenarios", type=int, default=200)
    ap.add_argument("--ops", type=int, default=30, help="ops per scenario after CREATE")
    ap.add_argument("--only", type=int, default=None, help="run only scenario I of the seed")
    ap.add_argument("--sessions", type=int, default=1, choices=range(1, 9), metavar="K",
                    help="each scenario uses 1..K sessions (connections / driver threads); "
                         "default 1")
    ap.add_argument("--keep-going", action="store_true",
                    help="report every mismatch (one per scenario) instead of stopping at the first")
    ap.add_argument("--no-shrink", action="store_true", help="print mismatches unshrunk")
    ap.add_argument("--verbose", action="store_true", help="print every scenario with its results")
    ap.add_argument("--stats", action="store_true", help="print the outcome classes seen")
    ap.add_argument("--script", default=None,
                    help="run the driver commands in this file (one a line, '#' comments) on "
                         "both sides, print both outputs, exit 1 on a mismatch.  DISCARD before "
                         "a second create (lastval after DROP differs on purpose); after a "
                         "failed create only create, discard and lastval are comparable")
    ap.add_argument("--emit-expected", action="store_true",
                    help="with --script: print only PostgreSQL's result lines")
    args = ap.parse_args()

    seed = args.seed or os.environ.get("NUMSEQ_SEED") or str(random.SystemRandom().randrange(10 ** 9))
    connargs = dict(port=args.port, user=args.user, dbname=args.dbname)
    if args.host:
        connargs["host"] = args.host
    script = None
    if args.script is not None:
        with open(args.script) as f:
            script = [ln.strip() for ln in f if ln.strip() and not ln.strip().startswith("#")]
        args.sessions = max([args.sessions] + [session_of(c) + 1 for c in script])
    pg = Pg(connargs, args.sessions)
    drv = Driver(args.driver)
    runner = Runner(pg, drv, args)
    if args.script is None:
        print("pgdiff: seed %s, %s scenarios x %d ops, %d session(s), PostgreSQL %s" %
              (seed, args.only if args.only is not None else args.scenarios, args.ops,
               args.sessions, pg.version),
              flush=True)
        print("pgdiff: replay with --seed %s" % seed, flush=True)

    if script is not None:
        runner.counting = False
        log, bad = runner.replay(script)
        drv.close()
        if args.emit_expected:
            print("\n".join(p for _, p, _ in log))
        else:
            print(show("pgdiff: script %s" % args.script, log, bad))
            print("pgdiff: %s" % ("MISMATCH" if bad is not None else "same output"))
        return 1 if bad is not None else 0

    t0 = time.monotonic()
    failures = 0
    indices = [args.only] if args.only is not None else range(args.scenarios)
    done = 0
    for idx in indices:
        log = []
        try:
            runner.scenario(seed, idx, log)
        except Mismatch:
            failures += 1
            cmds = [c for c, _, _ in log]
            print(show("pgdiff: MISMATCH in scenario %d of seed %s (replay: --seed %s --only %d)"
                       % (idx, seed, seed, idx), log, len(log) - 1), flush=True)
            if not args.no_shrink:
                small = runner.shrink(cmds)
                runner.counting = False
                slog, bad = runner.replay(small)
                runner.counting = True
                if bad is not None and len(small) < len(cmds):
                    print("\n" + show("pgdiff: the same mismatch, shrunk to %d commands" % len(small),
                                      slog, bad), flush=True)
            done += 1
            if not args.keep_going:
                break
            continue
        if args.verbose:
            print(show("pgdiff: scenario %d of seed %s" % (idx, seed), log, None) + "\n", flush=True)
        done += 1
        if args.only is None and done % 1000 == 0:
            print("pgdiff: %d scenarios, %d commands, %.0f s" %
                  (done, runner.compared, time.monotonic() - t0), flush=True)
    drv.close()
    dt = time.monotonic() - t0
    if args.stats:
        print("pgdiff: outcome classes (as PostgreSQL answered):")
        for k, v in sorted(runner.outcomes.items()):
            print("  %7d  %s" % (v, k))
    print("pgdiff: %d scenarios, %d commands compared (%s) in %.1f s" %
          (done, runner.compared,
           ", ".join("%s %d" % kv for kv in sorted(runner.count.items())), dt))
    print("pgdiff: %d passed, %d failed" % (done - failures, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
