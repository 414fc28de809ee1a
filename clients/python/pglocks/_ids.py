"""Lock ids of text keys: docs/key-hashing.md."""

import hashlib
import zlib


def key_id(key: str) -> int:
    """The first 8 bytes of SHA-256 over the key's UTF-8 bytes, as a signed
    little-endian 64-bit integer: ``pglocks.key_id(key)`` in SQL, and the id
    django-pglock gives the same string."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "little", signed=True)


def crc32_key_id(key: str) -> int:
    """django-pglocks 1.x's id: zlib's CRC-32 of the UTF-8 bytes as a signed
    32-bit integer: ``pglocks.crc32_key_id(key)`` in SQL."""
    crc = zlib.crc32(key.encode("utf-8"))
    return crc - (1 << 32) if crc & 0x80000000 else crc
