import unittest

from pglocks import crc32_key_id, key_id
from tests import vectors


class VectorTest(unittest.TestCase):
    def test_every_vector(self):
        count = 0
        for key, kid, crc, description in vectors.load():
            with self.subTest(description):
                self.assertEqual(key_id(key), kid)
                self.assertEqual(crc32_key_id(key), crc)
            count += 1
        self.assertGreaterEqual(count, 300)

    def test_readme_examples(self):
        self.assertEqual(key_id("some lock"), -1292339565357005894)
        self.assertEqual(key_id(""), 1449310910991872227)
        self.assertEqual(crc32_key_id("some lock"), -205618829)


if __name__ == "__main__":
    unittest.main()
