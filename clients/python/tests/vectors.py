"""Reads vectors/key_ids.tsv, the shared key vectors (docs/key-hashing.md)."""

import os

VECTORS = os.environ.get("PGLOCKS_VECTORS") or os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "vectors", "key_ids.tsv")


def load():
    """(key, key_id, crc32_key_id, description) for every vector."""
    with open(VECTORS, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            column, kid, crc, description = line.rstrip("\n").split("\t")
            if column.startswith("repeat:"):
                _, unit, count = column.split(":")
                data = bytes.fromhex(unit) * int(count)
            else:
                data = bytes.fromhex(column)
            yield data.decode("utf-8"), int(kid), int(crc), description
