#!/usr/bin/python3
"""pglocks against PostgreSQL's own advisory lock calls, side by side.

Runs against the server in libpq's environment (bench/run.sh starts a
throwaway cluster of the PostgreSQL major it is given), interleaves the
variants over several rounds, and writes bench/results/pg<major>/results.md
(medians and ratios) and in_backend.dat; then bench/results/in_backend.dat
and summary.md put every major measured so far side by side. --in-backend
leaves out the client (pgbench) sections; --quick shrinks every size for a
smoke test and writes to bench/results/quick/ instead.
"""

import argparse
import glob
import os
import platform
import re
import statistics
import subprocess
import tempfile

import psycopg

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")

RAW = "raw bigint: lock; body; unlock"
LOOP_VARIANTS = [
    RAW,
    "raw calls in one statement: lock, body, unlock",
    "with_lock(text)",
    "with_lock(bigint)",
    "with_lock(text) with arguments",
    "with_xact_lock(text)",
    "lock(text); body; unlock(text)",
    "lock(bigint); body; unlock(bigint)",
    "hashtext idiom",
    "md5 idiom",
    "sha256 idiom",
]
# pglocks' semaphores and sets of keys, each against the same work done with
# PostgreSQL's own calls (bench/setup.sql says which): (ours, raw) pairs.
SET_SIZES = (1, 4, 16)
PAIRED_VARIANTS = [
    ("acquire_slot+release_slot(text); body",
     "raw slot: pg_try_advisory_lock(int, int); body; pg_advisory_unlock(int, int)"),
] + [
    (f"lock_all(text[]) of {m} key{'s' if m > 1 else ''}; body; unlock_keys(text[])",
     f"raw bigint: pg_advisory_lock of {m} key{'s' if m > 1 else ''} in id order; body; unlocks")
    for m in SET_SIZES
]
HASH_VARIANTS = ["scan only", "hashtext", "key_id", "sha256 idiom"]
# keys of one SHA-256 block (up to 55 bytes), the range
HASH_BYTES = (8, 16, 32, 55)

PGBENCH_SCRIPTS = {
    "with_lock": "\\set id random(1, :keys)\n"
                 "SELECT pglocks.with_lock(:id::bigint, false, true, 'bench.body()');\n",
    "three statements": "\\set id random(1, :keys)\n"
                        "SELECT pg_advisory_lock(:id);\nSELECT bench.body();\n"
                        "SELECT pg_advisory_unlock(:id);\n",
    "xact_lock transaction": "\\set id random(1, :keys)\nBEGIN;\n"
                             "SELECT pg_advisory_xact_lock(:id);\nSELECT bench.body();\nCOMMIT;\n",
    # the best a client can do by hand in one round trip, for reference
    "raw calls in one statement": "\\set id random(1, :keys)\n"
                                  "SELECT pg_advisory_lock(:id), bench.body(), pg_advisory_unlock(:id);\n",
}


def interleaved_medians(rounds, cases, measure):
    """measure(case) for every case once per round, the cases interleaved;
    the median of each case's rounds."""
    times = {case: [] for case in cases}
    for _ in range(rounds):
        for case in cases:
            times[case].append(measure(case))
    return {case: statistics.median(t) for case, t in times.items()}


def in_backend(conn, n, rounds):
    return interleaved_medians(rounds, LOOP_VARIANTS, lambda v: conn.execute(
        "SELECT bench.loop(%s, %s)", (v, n)).fetchone()[0])


def paired(conn, n, rounds):
    """Every pair's two variants, interleaved with the other pairs'."""
    return interleaved_medians(rounds, [v for pair in PAIRED_VARIANTS for v in pair],
                               lambda v: conn.execute("SELECT bench.loop(%s, %s)", (v, n)).fetchone()[0])


def hashing(conn, n, rounds):
    """Per key size, each variant's net cost per key in ns: its scan of the
    n keys less the scan that only counts them."""
    out = {}
    for size in HASH_BYTES:
        conn.execute("SELECT bench.make_keys(%s, %s)", (n, size))
        conn.execute(f"VACUUM ANALYZE bench.keys_{size}")
        t = interleaved_medians(rounds, HASH_VARIANTS, lambda v: conn.execute(
            "SELECT bench.hash(%s, %s)", (v, size)).fetchone()[0])
        out[size] = {v: (t[v] - t["scan only"]) * 1e6 / n for v in HASH_VARIANTS[1:]}
        out[size]["scan only"] = t["scan only"] * 1e6 / n
    return out


def client_round_trips(seconds, rounds):
    """TPS per (keys, clients, script): the scripts interleaved, median of rounds."""
    cases = [(keys, clients, name) for keys in (1, 1024) for clients in (1, 8, 32)
             for name in PGBENCH_SCRIPTS]
    return interleaved_medians(rounds, cases, lambda case: pgbench(
        PGBENCH_SCRIPTS[case[2]], case[1], case[0], seconds))


def contention(seconds):
    out = {}
    for name, script in PGBENCH_SCRIPTS.items():
        with tempfile.TemporaryDirectory() as logs:
            os.chmod(logs, 0o777)
            tps = pgbench(script, 16, 1, seconds, logs)
            out[name] = (tps,) + latencies(logs)
    return out


def targets(loops, pairs, hashes, client_tps, contended):
    """The bars (issue 19's, and the client ones when they ran), each as
    (target, measured, met)."""
    raw = loops[RAW]
    with_lock = loops["with_lock(text)"] / raw
    floor = loops["raw calls in one statement: lock, body, unlock"] / raw
    lock_unlock = loops["lock(text); body; unlock(text)"] / raw
    # a net cost lost in the scan's noise (a smoke run's few keys) has no ratio
    per_size = [hashes[size]["key_id"] / hashes[size]["hashtext"]
                if min(hashes[size]["key_id"], hashes[size]["hashtext"]) > 0 else None
                for size in HASH_BYTES]
    paired_ratios = [pairs[ours] / pairs[theirs] for ours, theirs in PAIRED_VARIANTS]
    bars = [
        (f"key_id <= 2 x hashtext, net per key ({' / '.join(map(str, HASH_BYTES))} bytes)",
         " / ".join("n/a" if r is None else f"{r:.1f}" for r in per_size),
         None not in per_size and max(per_size) <= 2),
        ("with_lock(text) <= 0.45 x raw three statements (one statement of raw calls: "
         f"{floor:.2f})", f"{with_lock:.2f}", with_lock <= 0.45),
        ("lock(text) + unlock(text) <= 1.0 x raw", f"{lock_unlock:.2f}", lock_unlock <= 1.0),
        ("acquire_slot + release_slot <= 1.2 x a raw slot", f"{paired_ratios[0]:.2f}",
         paired_ratios[0] <= 1.2),
        (f"lock_all + unlock_keys of {' / '.join(map(str, SET_SIZES))} keys <= 1.2 x "
         "the sorted pg_advisory_lock calls", " / ".join(f"{r:.2f}" for r in paired_ratios[1:]),
         max(paired_ratios[1:]) <= 1.2),
    ]
    if client_tps is None:
        return bars
    tps8 = [client_tps[(keys, 8, "with_lock")] / client_tps[(keys, 8, "three statements")]
            for keys in (1, 1024)]
    ours = contended["with_lock"]

    def contention_bar(raw):
        theirs = contended[raw]
        return (f"16 clients on one key: TPS >= 0.95 x {raw}, p99 no worse",
                f"{ours[0] / theirs[0]:.2f} x; p99 {ours[2]:.2f} vs {theirs[2]:.2f} ms",
                ours[0] >= 0.95 * theirs[0] and ours[2] <= theirs[2])

    return bars + [
        ("pgbench with_lock >= 2.5 x three statements at 8 clients (1 key; 1024 keys)",
         f"{tps8[0]:.2f}; {tps8[1]:.2f}", min(tps8) >= 2.5),
        contention_bar("three statements"),
        contention_bar("raw calls in one statement"),
    ]


def pgbench(script, clients, keys, seconds, log_dir=None):
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(script)
    cmd = ["/usr/lib/postgresql/15/bin/pgbench", "-n", "-f", f.name, "-c", str(clients),
           "-j", str(min(clients, 4)), "-T", str(seconds), "-D", f"keys={keys}"]
    if log_dir:
        cmd += ["--log", "--log-prefix", os.path.join(log_dir, "tx")]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    os.unlink(f.name)
    return float(re.search(r"tps = ([0-9.]+)", out).group(1))


def latencies(log_dir):
    """p50, p99 and max transaction latency (ms) from pgbench's logs."""
    values = []
    for name in os.listdir(log_dir):
        with open(os.path.join(log_dir, name)) as f:
            values += [int(line.split()[2]) / 1000 for line in f]
    values.sort()
    pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]
    return pick(0.5), pick(0.99), values[-1]


def report(version, n, rounds, hash_n, loops, pairs, hashes, pgbench_runs, bars, quick):
    """results.md's lines."""
    raw = loops[RAW]
    lines = [
        "# pglocks benchmark results", "",
        f"PostgreSQL {version}; {platform.machine()}, {os.cpu_count()} CPUs; "
        f"{'quick smoke run' if quick else f'{n} iterations, {rounds} rounds, medians'}.", "",
        f"## In-backend: a PL/pgSQL loop of {n} iterations, body = an empty PL/pgSQL function", "",
        "| variant | ms | ratio to raw bigint |", "| --- | ---: | ---: |",
    ]
    lines += [f"| {v} | {t:.1f} | {t / raw:.2f} |" for v, t in loops.items()]
    lines += ["", f"## In-backend: semaphores and sets of keys against PostgreSQL's own calls, "
              f"{n} iterations", "",
              "A semaphore's raw equivalent is one made by hand from two-int advisory locks; "
              "a set's, its ids (hashed once, beforehand) locked one by one in ascending order. "
              "The same run as above, the two variants of each row interleaved.", "",
              "| pglocks | ms | PostgreSQL's own calls | ms | ratio |",
              "| --- | ---: | --- | ---: | ---: |"]
    lines += [f"| {ours} | {pairs[ours]:.1f} | {theirs} | {pairs[theirs]:.1f} "
              f"| {pairs[ours] / pairs[theirs]:.2f} |" for ours, theirs in PAIRED_VARIANTS]
    lines += ["", f"## Hashing: one scan of {hash_n} distinct keys, ns per key net of the scan", "",
              "| key bytes | scan only | hashtext | key_id | sha256 idiom "
              "| key_id / hashtext | sha256 idiom / key_id |",
              "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for size, t in hashes.items():
        lines.append(f"| {size} | " + " | ".join(f"{t[v]:.0f}" for v in HASH_VARIANTS)
                     + f" | {ratio(t['key_id'], t['hashtext'])} | {ratio(t['sha256 idiom'], t['key_id'])} |")
    if pgbench_runs is not None:
        seconds, rounds_pgbench, client_tps, contended = pgbench_runs
        lines += ["", f"## Client round trips: pgbench, {seconds} s per run, "
                  f"median of {rounds_pgbench}, TPS", "",
                  "| keys | clients | " + " | ".join(PGBENCH_SCRIPTS) + " | with_lock / three statements |",
                  "| ---: | ---: |" + " ---: |" * (len(PGBENCH_SCRIPTS) + 1)]
        for keys in (1, 1024):
            for clients in (1, 8, 32):
                row = [client_tps[(keys, clients, s)] for s in PGBENCH_SCRIPTS]
                lines.append(f"| {keys} | {clients} | " + " | ".join(f"{x:.0f}" for x in row)
                             + f" | {row[0] / row[1]:.2f} |")
        lines += ["", f"## Contention: 16 clients on one key, {seconds * 2} s "
                  "(pgbench; latency of the whole transaction: acquire, body, release)", "",
                  "| variant | TPS | p50 ms | p99 ms | max ms |", "| --- | ---: | ---: | ---: | ---: |"]
        lines += [f"| {k} | {v[0]:.0f} | {v[1]:.2f} | {v[2]:.2f} | {v[3]:.2f} |"
                  for k, v in contended.items()]
    lines += ["", "## Targets", "", "| target | measured | met |", "| --- | ---: | --- |"]
    lines += [f"| {t} | {m} | {'yes' if ok else 'no'} |" for t, m, ok in bars]
    return lines


def pair_label(ours):
    """A pair's short name, for the plot: "lock_all(text[]) of 4 keys vs raw"."""
    return ours.split(";")[0] + " vs raw"


def ratio(a, b):
    return f"{a / b:.1f}" if min(a, b) > 0 else "n/a"


def side_by_side():
    """bench/results/in_backend.dat (the plot's) and summary.md: the
    in-backend ratios of every major measured so far, one column each."""
    majors, ratios = [], {}
    for path in sorted(glob.glob(os.path.join(RESULTS, "pg*", "in_backend.dat")),
                       key=lambda p: int(os.path.basename(os.path.dirname(p))[2:])):
        majors.append(os.path.basename(os.path.dirname(path))[2:])
        with open(path) as f:
            for line in f:
                variant, ratio = line.rsplit(" ", 1)
                ratios.setdefault(variant.strip('"'), {})[majors[-1]] = ratio.strip()
    with open(os.path.join(RESULTS, "in_backend.dat"), "w") as f:
        f.write("variant " + " ".join(f"PostgreSQL-{m}" for m in majors) + "\n")
        f.writelines(f'"{v}" ' + " ".join(r.get(m, "NaN") for m in majors) + "\n"
                     for v, r in ratios.items())
    lines = ["# pglocks benchmark: every PostgreSQL major side by side", "",
             "Time relative to each major's own raw `pg_advisory_lock(bigint); body; "
             "pg_advisory_unlock(bigint)` loop (lower is faster); the pairs, relative to "
             "their own raw equivalent. Each major's tables: pg<major>/results.md.", "",
             "| variant | " + " | ".join(f"PostgreSQL {m}" for m in majors) + " |",
             "| --- |" + " ---: |" * len(majors)]
    lines += [f"| {v} | " + " | ".join(r.get(m, "") for m in majors) + " |"
              for v, r in ratios.items()]
    with open(os.path.join(RESULTS, "summary.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke test: tiny sizes")
    parser.add_argument("--in-backend", action="store_true",
                        help="only the in-backend sections (no pgbench)")
    args = parser.parse_args()
    n, rounds, hash_n, seconds, rounds_pgbench = \
        (2000, 1, 2000, 1, 1) if args.quick else (100000, 5, 1000000, 5, 5)

    conn = psycopg.connect(autocommit=True)
    conn.execute(open(os.path.join(HERE, "setup.sql")).read())
    version = conn.execute("SHOW server_version").fetchone()[0]
    major = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000

    loops = in_backend(conn, n, rounds)
    pairs = paired(conn, n, rounds)
    hashes = hashing(conn, hash_n, rounds)
    client_tps = contended = pgbench_runs = None
    if not args.in_backend:
        client_tps = client_round_trips(seconds, rounds_pgbench)
        contended = contention(seconds * 2)
        pgbench_runs = (seconds, rounds_pgbench, client_tps, contended)
    bars = targets(loops, pairs, hashes, client_tps, contended)
    lines = report(version, n, rounds, hash_n, loops, pairs, hashes, pgbench_runs, bars, args.quick)

    # a smoke run must not overwrite the published results
    results = os.path.join(RESULTS, "quick" if args.quick else f"pg{major}")
    os.makedirs(results, exist_ok=True)
    with open(os.path.join(results, "results.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    raw = loops[RAW]
    with open(os.path.join(results, "in_backend.dat"), "w") as f:
        f.writelines(f'"{v}" {t / raw:.3f}\n' for v, t in loops.items())
        f.writelines(f'"{pair_label(ours)}" {pairs[ours] / pairs[theirs]:.3f}\n'
                     for ours, theirs in PAIRED_VARIANTS)
    if not args.quick:
        side_by_side()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
