#!/usr/bin/python3
"""The release metadata: META.json against the PGXN meta spec 1.0.0
(https://pgxn.org/spec/), and every version number in step with the control
file's default_version. Run from the top of the tree."""

import json
import os
import re
import subprocess
import unittest
import zipfile

SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+)?$")
LICENSES = {"agpl_3", "apache_1_1", "apache_2_0", "artistic_1", "artistic_2", "bsd", "freebsd",
            "gfdl_1_2", "gfdl_1_3", "gpl_1", "gpl_2", "gpl_3", "lgpl_2_1", "lgpl_3_0", "mit",
            "mozilla_1_0", "mozilla_1_1", "openssl", "perl_5", "postgresql", "qpl_1_0",
            "ssleay", "sun", "zlib", "open_source", "restricted", "unrestricted", "unknown"}
TOP_LEVEL = {"name", "abstract", "description", "version", "maintainer", "license", "provides",
             "prereqs", "resources", "generated_by", "meta-spec", "tags", "release_status",
             "no_index"}


def read(path):
    with open(path) as f:
        return f.read()


def control(key):
    return re.search(rf"^{key}\s*=\s*'([^']*)'", read("pglocks.control"), re.M).group(1)


class MetaJson(unittest.TestCase):
    def setUp(self):
        self.meta = json.loads(read("META.json"))

    def test_required_fields(self):
        for key in ("name", "abstract", "maintainer", "license", "provides", "meta-spec", "version"):
            self.assertIn(key, self.meta)
        self.assertEqual(self.meta["meta-spec"]["version"], "1.0.0")
        self.assertEqual(self.meta["name"], "pglocks")
        for key in self.meta:
            self.assertTrue(key in TOP_LEVEL or key.startswith(("x_", "X_")), f"unknown key {key}")

    def test_field_formats(self):
        m = self.meta
        self.assertRegex(m["version"], SEMVER)
        self.assertIsInstance(m["abstract"], str)
        maintainers = m["maintainer"] if isinstance(m["maintainer"], list) else [m["maintainer"]]
        for who in maintainers:
            self.assertRegex(who, r"^[^<>]+ <[^@<>\s]+@[^@<>\s]+>$")
        licenses = m["license"] if isinstance(m["license"], (list, dict)) else [m["license"]]
        for name in licenses:
            self.assertIn(name, LICENSES)
        self.assertIn(m.get("release_status", "stable"), {"stable", "testing", "unstable"})
        for tag in m.get("tags", []):
            self.assertTrue(isinstance(tag, str) and 0 < len(tag) < 256)

    def test_provides(self):
        for name, ext in self.meta["provides"].items():
            self.assertIn("file", ext)
            self.assertIn("version", ext)
            self.assertRegex(ext["version"], SEMVER)
            self.assertTrue(os.path.isfile(ext["file"]), ext["file"])
            if "docfile" in ext:
                self.assertTrue(os.path.isfile(ext["docfile"]), ext["docfile"])


    def test_resources(self):
        r = self.meta["resources"]
        self.assertLessEqual(set(r), {"homepage", "bugtracker", "repository"})
        self.assertTrue(r["homepage"].startswith("https://"))
        self.assertLessEqual(set(r["bugtracker"]), {"web", "mailto"})
        self.assertLessEqual(set(r["repository"]), {"url", "web", "type"})


class PostgreSQLVersions(unittest.TestCase):
    """The supported PostgreSQL versions say the same everywhere: debian/pgversions,
    META.json's prereq, the build's own floor, README's table and the matrix
    scripts/test.sh runs."""

    def setUp(self):
        self.versions = [int(v) for v in read("debian/pgversions").split()]

    def test_meta_json_requires_the_oldest(self):
        wanted = json.loads(read("META.json"))["prereqs"]["runtime"]["requires"]["PostgreSQL"]
        self.assertRegex(wanted, SEMVER)
        self.assertEqual(int(wanted.split(".")[0]), min(self.versions))

    def test_build_refuses_older(self):
        floor = re.search(r"#if PG_VERSION_NUM < (\d+)0000\n#error", read("src/pg/compat.h"))
        self.assertEqual(int(floor.group(1)), min(self.versions))

    def test_readme_table(self):
        section = read("README.md").split("## Supported PostgreSQL versions")[1].split("\n## ")[0]
        rows = [int(m) for m in re.findall(r"(?m)^\| (\d+) \|", section)]
        self.assertEqual(rows, self.versions)

    def test_matrix(self):
        matrix = re.search(r"^SUPPORTED_PG=\(([^)]*)\)", read("scripts/lib.sh"), re.M).group(1)
        self.assertEqual([int(v) for v in matrix.split()], self.versions)


class VersionsInStep(unittest.TestCase):
    def setUp(self):
        self.version = control("default_version")

    def test_meta_json(self):
        meta = json.loads(read("META.json"))
        self.assertEqual(meta["version"], self.version)
        self.assertEqual(meta["provides"]["pglocks"]["version"], self.version)
        self.assertEqual(meta["provides"]["pglocks"]["file"], "sql/pglocks.sql")

    def test_debian_changelog(self):
        first = read("debian/changelog").splitlines()[0]
        self.assertRegex(first, rf"^pglocks \({re.escape(self.version)}-[0-9]+\) ")

    def test_changelog(self):
        self.assertRegex(read("CHANGELOG.md"), rf"(?m)^## \[{re.escape(self.version)}\] - ")

    def test_python_client(self):
        self.assertRegex(read("clients/python/pyproject.toml"),
                         rf'(?m)^version = "{re.escape(self.version)}"$')

    def test_ruby_client(self):
        self.assertRegex(read("clients/ruby/lib/pglocks/version.rb"),
                         rf"(?m)^  VERSION = '{re.escape(self.version)}'")

    def test_node_client(self):
        self.assertEqual(json.loads(read("clients/node/package.json"))["version"], self.version)

    def test_go_client(self):
        self.assertRegex(read("clients/go/pglocks.go"), rf'(?m)^const Version = "{re.escape(self.version)}"$')
        # a module of major version 2 says so in its path
        major = self.version.split(".")[0]
        self.assertRegex(read("clients/go/go.mod"), rf"(?m)^module github.com/pglocks/pglocks/clients/go/v{major}$")

    def test_java_client(self):
        # the project's own version: the first <version> after its artifactId
        self.assertRegex(read("clients/java/pom.xml"),
                         rf"<artifactId>pglocks</artifactId>\s*<version>{re.escape(self.version)}</version>")

    def test_every_older_version_has_an_upgrade_path(self):
        # sql/pglocks.sql is the current version's script; make writes it
        # out as pglocks--<version>.sql, which git does not track
        self.assertTrue(os.path.exists("sql/pglocks.sql"))
        steps = {tuple(re.match(r"pglocks--([0-9.]+)--([0-9.]+)\.sql$", f).groups())
                 for f in os.listdir("sql") if re.match(r"pglocks--[0-9.]+--[0-9.]+\.sql$", f)}
        versions = sorted({v for step in steps for v in step},
                          key=lambda v: [int(x) for x in v.split(".")])
        self.assertEqual(versions[-1], self.version)
        for old in versions[:-1]:
            reached, frontier = {old}, [old]
            while frontier:
                here = frontier.pop()
                for a, b in steps:
                    if a == here and b not in reached:
                        reached.add(b)
                        frontier.append(b)
            self.assertIn(self.version, reached, f"no upgrade path from {old}")


class DistArchive(unittest.TestCase):
    """make dist: PGXN's layout, nothing built, nothing of git's."""

    @classmethod
    def setUpClass(cls):
        subprocess.run(["make", "-s", "dist"], check=True)
        version = control("default_version")
        cls.top = f"pglocks-{version}/"
        with zipfile.ZipFile(f"dist/pglocks-{version}.zip") as z:
            cls.names = z.namelist()

    def test_one_top_level_folder(self):
        self.assertTrue(all(n.startswith(self.top) for n in self.names))

    def test_contents(self):
        for path in ("META.json", "pglocks.control", "Makefile", "README.md", "LICENSE",
                     "sql/pglocks--1.0.sql", "src/sql_api.cpp", "debian/control"):
            self.assertIn(self.top + path, self.names)

    def test_no_build_products_or_vcs_files(self):
        for name in self.names:
            path = name[len(self.top):]
            self.assertNotRegex(path, r"(^|/)\.git|\.(o|so|bc|deb|zip)$|^(build|dist|results)/", name)


if __name__ == "__main__":
    unittest.main(verbosity=2)
