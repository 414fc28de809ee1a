#!/usr/bin/env bash
# The Java client's tests against the jar as Maven installs it, offline, from
# Debian's packaged Maven repository (/usr/share/maven-repo): build and
# install the jar into a temporary local repository, then a fresh consumer
# project that depends on io.pglocks:pglocks:2.1.0 runs the README's first
# example and the client's tests. Needs a server that libpq's environment
# points to (pg_virtualenv -t clients/java/run-tests.sh), and: maven maven-debian-helper
# libmaven-compiler-plugin-java libmaven-resources-plugin-java
# libmaven-jar-plugin-java libmaven-install-plugin-java libsurefire-java
# junit5 libpostgresql-jdbc-java default-jdk-headless.
set -euo pipefail
src=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A local repository of our own: Debian's, symlinked, plus what we install.
cp -rs /usr/share/maven-repo "$work/m2"
# (jansi.noreset: Maven 3.8 prints ANSI resets even in batch mode)
mvn() { MAVEN_OPTS="${MAVEN_OPTS:-} -Djansi.noreset=true" command mvn -B -o -s /etc/maven/settings-debian.xml \
    -Dmaven.repo.local="$work/m2" "$@"; }

# 1. Build and install the jar, from a copy of the sources (Maven writes its
# output next to the pom). Its tests run in step 3, against the installed jar.
mkdir "$work/build"
cp -r "$src/pom.xml" "$src/src" "$work/build/"
mvn -q -f "$work/build/pom.xml" -DskipTests install
jar=$work/m2/io/pglocks/pglocks/2.1.0/pglocks-2.1.0.jar
test -f "$jar"

# 2. A consumer project: the README's first example, checked from another session.
app=$work/consumer
mkdir -p "$app/src/main/java/example"
cat > "$app/pom.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example</groupId>
  <artifactId>consumer</artifactId>
  <version>1</version>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencies>
    <dependency>
      <groupId>io.pglocks</groupId>
      <artifactId>pglocks</artifactId>
      <version>2.1.0</version>
    </dependency>
    <dependency>
      <groupId>org.postgresql</groupId>
      <artifactId>postgresql</artifactId>
      <version>42.5.5</version>
    </dependency>
    <dependency>
      <groupId>org.junit.jupiter</groupId>
      <artifactId>junit-jupiter</artifactId>
      <version>5.9.2</version>
      <scope>test</scope>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin><artifactId>maven-compiler-plugin</artifactId><version>3.10.1</version></plugin>
      <plugin><artifactId>maven-resources-plugin</artifactId><version>3.3.0</version></plugin>
      <plugin><artifactId>maven-surefire-plugin</artifactId><version>2.22.3</version></plugin>
    </plugins>
  </build>
</project>
EOF
cat > "$app/src/main/java/example/Example.java" <<'EOF'
package example;

import io.pglocks.AdvisoryLock;
import io.pglocks.Key;
import io.pglocks.KeyId;
import io.pglocks.LockOptions;
import io.pglocks.LockResult;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;

public class Example {
    private static Connection other;

    public static void main(String[] args) throws Exception {
        String url = args[0], user = args[1], password = args[2];
        try (Connection conn = DriverManager.getConnection(url, user, password)) {
            other = DriverManager.getConnection(url, user, password);
            // the README's first example
            LockResult<Integer> shipped = AdvisoryLock.withLock(conn, Key.of("orders:42"),
                LockOptions.DEFAULT.withTimeout(Duration.ofSeconds(5)), () -> shipOrder(conn, 42));
            if (!shipped.acquired()) {
                throw new AssertionError("another session held orders:42 for 5 seconds");
            }
            if (shipped.value() != 42 || !free()) throw new AssertionError("not released: " + shipped);
            System.out.println("took and released 'orders:42' with "
                + Key.class.getProtectionDomain().getCodeSource().getLocation());
        }
    }

    private static int shipOrder(Connection conn, int order) throws SQLException {
        if (free()) throw new AssertionError("not held");
        return order;
    }

    // whether another session can take the lock now (a transaction lock: given back at once)
    private static boolean free() throws SQLException {
        try (PreparedStatement st = other.prepareStatement("SELECT pg_try_advisory_xact_lock(?::bigint)")) {
            st.setLong(1, KeyId.of("orders:42"));
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }
}
EOF
mvn -q -f "$app/pom.xml" compile
# pgjdbc speaks TCP only: a socket directory in PGHOST means this machine
host=${PGHOST:-localhost}
[[ $host == /* ]] && host=localhost
user=${PGUSER:-$(id -un)}
url="jdbc:postgresql://$host:${PGPORT:-5432}/${PGDATABASE:-$user}"
out=$(java -cp "$app/target/classes:$jar:/usr/share/maven-repo/org/postgresql/postgresql/42.5.5/postgresql-42.5.5.jar" \
    example.Example "$url" "$user" "${PGPASSWORD:-}")
echo "$out"
[[ $out == *"with file:$jar" ]] || { echo "the example did not use the installed jar" >&2; exit 1; }

# 3. The client's tests, in the consumer project: against the installed jar.
cp -r "$src/src/test" "$app/src/test"
PGLOCKS_VECTORS=$src/../../vectors/key_ids.tsv mvn -f "$app/pom.xml" --no-transfer-progress test
