#!/usr/bin/env bash
# Compile and run the Java client's tests with Debian's JDK, JUnit 4 and
# PostgreSQL JDBC driver (default-jdk-headless junit4 libpostgresql-jdbc-java).
set -euo pipefail
cd "$(dirname "$0")"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cp=/usr/share/java/junit4.jar:/usr/share/java/hamcrest-core.jar:/usr/share/java/postgresql.jar
javac -Xlint:all -Werror -d "$out" -cp "$cp" $(find src -name '*.java')
java -cp "$out:$cp" org.junit.runner.JUnitCore io.pglocks.KeyIdTest
