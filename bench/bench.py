#!/usr/bin/python3
"""pglocks against PostgreSQL's own advisory lock calls, side by side.

Runs against the server in libpq's environment (bench/run.sh starts a
throwaway cluster), interleaves the variants over several rounds, and writes
bench/results/results.md (medians and ratios) and bench/results/*.dat for
gnuplot. --quick shrinks every size for a smoke test and writes to
bench/results/quick/ instead.
"""

import argparse
import os
import platform
import re
import statistics
import subprocess
import tempfile

import psycopg

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")

LOOP_VARIANTS = [
    "raw bigint: lock; body; unlock",
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
HASH_VARIANTS = ["key_id", "sha256 idiom", "hashtext", "key generation only"]

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
    return {size: interleaved_medians(rounds, HASH_VARIANTS, lambda v: conn.execute(
                "SELECT bench.hash(%s, %s, %s)", (v, n, size)).fetchone()[0])
            for size in (8, 64, 1024)}


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


def net_ratio(t):
    """sha256 idiom / key_id, both less the cost of making the keys; "n/a"
    where making the keys costs about as much as either (long keys)."""
    base = t["key generation only"]
    ours, theirs = t["key_id"] - base, t["sha256 idiom"] - base
    if ours < 0.05 * base or theirs < 0.05 * base:
        return "n/a"
    return f"{theirs / ours:.1f}"


def targets(loops, hashes, client_tps, contended):
    """The issue's bars, each as (target, measured, met)."""
    raw = loops["raw bigint: lock; body; unlock"]
    with_lock = loops["with_lock(text)"] / raw
    lock_unlock = loops["lock(text); body; unlock(text)"] / raw
    hash_net = net_ratio(hashes[8])
    tps8 = [client_tps[(keys, 8, "with_lock")] / client_tps[(keys, 8, "three statements")]
            for keys in (1, 1024)]
    ours = contended["with_lock"]

    def contention_bar(raw):
        theirs = contended[raw]
        return (f"16 clients on one key: TPS >= 0.95 x {raw}, p99 no worse",
                f"{ours[0] / theirs[0]:.2f} x; p99 {ours[2]:.2f} vs {theirs[2]:.2f} ms",
                ours[0] >= 0.95 * theirs[0] and ours[2] <= theirs[2])

    return [
        ("with_lock(text) <= 0.6 x raw bigint sequence", f"{with_lock:.2f}", with_lock <= 0.6),
        ("lock(text) + unlock(text) <= 1.1 x raw", f"{lock_unlock:.2f}", lock_unlock <= 1.1),
        ("key_id >= 5 x faster than the sha256 idiom (8-byte keys, net of key generation)",
         hash_net, hash_net != "n/a" and float(hash_net) >= 5),
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


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke test: tiny sizes")
    args = parser.parse_args()
    n, rounds, hash_n, seconds, rounds_pgbench = \
        (2000, 1, 2000, 1, 1) if args.quick else (100000, 5, 1000000, 5, 5)

    conn = psycopg.connect(autocommit=True)
    conn.execute(open(os.path.join(HERE, "setup.sql")).read())
    version = conn.execute("SHOW server_version").fetchone()[0]

    loops = in_backend(conn, n, rounds)
    pairs = paired(conn, n, rounds)
    hashes = hashing(conn, hash_n, max(1, rounds // 2))
    client_tps = client_round_trips(seconds, rounds_pgbench)
    contended = contention(seconds * 2)
    bars = targets(loops, hashes, client_tps, contended)

    # a smoke run must not overwrite the published results
    results = os.path.join(RESULTS, "quick") if args.quick else RESULTS
    os.makedirs(results, exist_ok=True)
    raw = loops["raw bigint: lock; body; unlock"]
    lines = [
        "# pglocks benchmark results", "",
        f"PostgreSQL {version}; {platform.machine()}, {os.cpu_count()} CPUs; "
        f"{'quick smoke run' if args.quick else f'{n} iterations, {rounds} rounds, medians'}.", "",
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
    lines += ["", f"## Hashing {hash_n} distinct keys", "",
              "| key bytes | " + " | ".join(HASH_VARIANTS)
              + " | sha256 idiom / key_id | the same, net of key generation |",
              "| ---: |" + " ---: |" * (len(HASH_VARIANTS) + 2)]
    for size, t in hashes.items():
        lines.append(f"| {size} | " + " | ".join(f"{t[v]:.0f} ms" for v in HASH_VARIANTS)
                     + f" | {t['sha256 idiom'] / t['key_id']:.2f} | {net_ratio(t)} |")
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
    lines += [f"| {k} | {v[0]:.0f} | {v[1]:.2f} | {v[2]:.2f} | {v[3]:.2f} |" for k, v in contended.items()]
    lines += ["", "## Targets", "", "| target | measured | met |", "| --- | ---: | --- |"]
    lines += [f"| {t} | {m} | {'yes' if ok else 'no'} |" for t, m, ok in bars]
    with open(os.path.join(results, "results.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(results, "in_backend.dat"), "w") as f:
        f.writelines(f'"{v}" {t / raw:.3f}\n' for v, t in loops.items())
    print("\n".join(lines))


if __name__ == "__main__":
    main()
