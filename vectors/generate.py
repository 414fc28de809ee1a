#!/usr/bin/python3
"""Writes vectors/key_ids.tsv: keys with their key_id and crc32_key_id, the
shared test vectors of the server and every client (docs/key-hashing.md).

Columns, tab-separated: the key's UTF-8 bytes in hex, or a generator rule
`repeat:<hex of a unit>:<count>` for keys too large to keep as a literal;
key_id; crc32_key_id; a description. Lines starting with '#' are comments.
The expected ids come from Python's hashlib and zlib, independently of the
C++ code they check.
"""

import hashlib
import os
import unicodedata
import zlib


def key_id(data: bytes) -> int:
    return int.from_bytes(hashlib.sha256(data).digest()[:8], "little", signed=True)


def crc32_key_id(data: bytes) -> int:
    return int.from_bytes(zlib.crc32(data).to_bytes(4, "big"), "big", signed=True)


def keys():
    """(text, description) pairs, or (bytes-unit, count, description) rules."""
    yield "", "empty"
    yield "some lock", "README example"
    yield "orders:42", "README example"
    # every ASCII length from 0 to 130 bytes: SHA-256 pads in 64-byte blocks,
    # so 55/56, 63/64/65 and 119/120 are where the padding changes
    for n in range(1, 131):
        yield "a" * n, f"{n} ASCII bytes"
    for n in (55, 56, 63, 64, 65, 119, 120):
        yield "é" + "b" * (n - 2), f"{n} bytes, starting with a 2-byte character"
        yield "b" * (n - 4) + "😀", f"{n} bytes, ending with a 4-byte character"
    # whitespace and control characters (PostgreSQL text cannot hold U+0000)
    for cp in list(range(1, 32)) + [127]:
        yield chr(cp), f"control character U+{cp:04X}"
    for text, what in [(" ", "space"), ("  ", "two spaces"), (" k", "leading space"),
                       ("k ", "trailing space"), ("\t\n", "tab newline"), ("\r\n", "CR LF"),
                       ("\u00a0", "no-break space"), ("\u2028", "line separator"),
                       ("\u200b", "zero-width space"), ("\ufeff", "byte order mark"),
                       ("\u3000", "ideographic space")]:
        yield text, what
    # ASCII
    for text in ["0", "1", "-1", "42", "9223372036854775807", "true", "NULL", "null",
                 "lock", "Lock", "LOCK", "orders", "orders:1", "orders:2", "user/7/profile",
                 "migrations", "schema_migrations", "job-queue", "a.b.c", "a,b", "a;b",
                 "'", "''", '"', "\\", "\\\\", "%", "%s", "$1", "{}", "[]", "()",
                 "'; DROP TABLE users; --", "<script>", "key\twith\ttabs",
                 "key\nwith\nnewlines", "~!@#$%^&*()_+`-=", "The quick brown fox jumps over the lazy dog"]:
        yield text, "ASCII"
    # non-ASCII in the Basic Multilingual Plane
    for text in ["é", "ü", "ñ", "ß", "ø", "Ω", "π", "Ж", "привет", "Ελληνικά", "עברית",
                 "العربية", "हिन्दी", "ไทย", "日本語", "中文", "한국어", "東京:42", "☃", "★",
                 "€", "£", "¥", "©", "™", "\ufffd", "\uffff", "ꙮ", "ﷺ", "Ǆ", "ǅ", "ǆ", "İ",
                 "ı", "ﬁ", "Ⅻ", "①", "ｶﾀｶﾅ", "ＡＢＣ", "naïve café", "Zürich", "São Paulo",
                 "Ελλάδα:7", "mañana"]:
        yield text, "non-ASCII, BMP"
    # outside the BMP: four UTF-8 bytes each (UTF-16 clients see surrogate pairs)
    for text in ["😀", "𝄞", "𠜎", "🂡", "🀄", "𐍈", "🦀", "🏳️‍🌈", "👨‍👩‍👧‍👦", "👍🏽", "🇩🇪",
                 "lock 😀", "😀😀😀", "𝕏", "\U0010ffff"]:
        yield text, "astral plane"
    # the same word in NFC and NFD: different bytes, so different ids (no
    # normalization), on purpose
    for word in ["é", "café", "Å", "Ångström", "ñandú", "über", "한국어", "ệ", "Å", "ḱṷṓn"]:
        for form in ("NFC", "NFD"):
            yield unicodedata.normalize(form, word), f"{word!r} in {form}"
    # keys over 1 MB, kept as rules
    yield b"pglocks ", 131073, "over 1 MB: 'pglocks ' repeated 131073 times"
    yield "é".encode(), 524289, "over 1 MB: 'é' repeated 524289 times"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    seen = set()
    rows = []
    for item in keys():
        if len(item) == 3:
            unit, count, what = item
            data = unit * count
            column = f"repeat:{unit.hex()}:{count}"
        else:
            text, what = item
            data = text.encode("utf-8")
            column = data.hex()
        assert "\t" not in what and "\\" not in what, what  # read with COPY's text format
        if column in seen:
            continue
        seen.add(column)
        rows.append(f"{column}\t{key_id(data)}\t{crc32_key_id(data)}\t{what}\n")
    with open(os.path.join(here, "key_ids.tsv"), "w", encoding="utf-8") as out:
        out.write("# pglocks key vectors, written by vectors/generate.py; "
                  "spec in docs/key-hashing.md\n")
        out.write("# key (UTF-8 hex, or repeat:<unit hex>:<count>)\tkey_id\tcrc32_key_id\tdescription\n")
        out.writelines(rows)
    print(f"{len(rows)} vectors")


if __name__ == "__main__":
    main()
