package livetest

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	pglocks "github.com/pglocks/pglocks/clients/go/v2"
)

type vector struct {
	key      string
	id, crc  int64
	describe string
}

// vectors/key_ids.tsv (docs/key-hashing.md): the key as UTF-8 hex or
// repeat:<unit hex>:<count>, key_id, crc32_key_id, a description.
func vectors(t *testing.T) []vector {
	t.Helper()
	path := os.Getenv("PGLOCKS_VECTORS")
	if path == "" {
		path = "../../../vectors/key_ids.tsv"
	}
	f, err := os.Open(path)
	must(t, err)
	defer f.Close()
	var vs []vector
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		line := scanner.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		var key []byte
		if strings.HasPrefix(cols[0], "repeat:") {
			unit, count, _ := strings.Cut(strings.TrimPrefix(cols[0], "repeat:"), ":")
			b, err := hex.DecodeString(unit)
			must(t, err)
			n, err := strconv.Atoi(count)
			must(t, err)
			key = bytes.Repeat(b, n)
		} else if key, err = hex.DecodeString(cols[0]); err != nil {
			t.Fatal(err)
		}
		id, err := strconv.ParseInt(cols[1], 10, 64)
		must(t, err)
		crc, err := strconv.ParseInt(cols[2], 10, 64)
		must(t, err)
		vs = append(vs, vector{string(key), id, crc, cols[3]})
	}
	must(t, scanner.Err())
	if len(vs) < 300 {
		t.Fatalf("only %d vectors", len(vs))
	}
	return vs
}

func TestVectors(t *testing.T) {
	for _, v := range vectors(t) {
		if got := pglocks.KeyID(v.key); got != v.id {
			t.Errorf("KeyID(%s) = %d, want %d", v.describe, got, v.id)
		}
		if got := pglocks.CRC32KeyID(v.key); got != v.crc {
			t.Errorf("CRC32KeyID(%s) = %d, want %d", v.describe, got, v.crc)
		}
	}
}

func TestKeyIDsAreTheExtensions(t *testing.T) {
	server := other(t)
	run(t, server, "CREATE EXTENSION IF NOT EXISTS pglocks")
	checked := 0
	for _, v := range vectors(t) {
		if strings.ContainsRune(v.key, 0) {
			continue // text cannot hold U+0000
		}
		var id, crc int64
		must(t, server.QueryRowContext(ctx, "SELECT pglocks.key_id($1::text), pglocks.crc32_key_id($1::text)",
			v.key).Scan(&id, &crc))
		if id != pglocks.KeyID(v.key) || crc != pglocks.CRC32KeyID(v.key) {
			t.Errorf("%s: the server says %d, %d; the client %d, %d",
				v.describe, id, crc, pglocks.KeyID(v.key), pglocks.CRC32KeyID(v.key))
		}
		checked++
	}
	if checked < 300 {
		t.Errorf("only %d keys checked", checked)
	}
}

// A key of the wrong type, or out of range, or a pair of the wrong length,
// is refused by the compiler: the constructors take int64 and int32s.
func TestWrongKeysDoNotCompile(t *testing.T) {
	module, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/pglocks/pglocks/clients/go/v2").Output()
	must(t, err)
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module wrongkeys\n\ngo 1.19\n\n"+
		"require github.com/pglocks/pglocks/clients/go/v2 v2.1.0\n\n"+
		"replace github.com/pglocks/pglocks/clients/go/v2 => "+strings.TrimSpace(string(module))+"\n"), 0o666))
	build := func(keys []string) string {
		t.Helper()
		src := "package main\n\nimport pglocks \"github.com/pglocks/pglocks/clients/go/v2\"\n\n" +
			"var f float64\nvar n int\n\nfunc main() {\n\tfor _, k := range []pglocks.Key{\n" // line 9
		for _, k := range keys {
			src += "\t\t" + k + ",\n"
		}
		src += "\t} {\n\t\t_ = k\n\t}\n\t_, _ = f, n\n}\n"
		must(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o666))
		cmd := exec.Command("go", "build", "-o", os.DevNull, ".")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatal(err)
		}
		return string(out)
	}
	if out := build([]string{`pglocks.String("x")`, "pglocks.Int64(-1 << 63)", "pglocks.Pair(-1 << 31, 1<<31 - 1)"}); out != "" {
		t.Fatalf("good keys do not build:\n%s", out)
	}
	bad := []string{"pglocks.Int64(1.5)", "pglocks.Int64(f)", "pglocks.Int64(1 << 63)", "pglocks.Int64(nil)",
		"pglocks.String(nil)", "pglocks.String(42)", "pglocks.Pair(1 << 31, 0)", "pglocks.Pair(n, 0)", "pglocks.Pair(1)"}
	out := build(bad)
	for i, k := range bad {
		if !strings.Contains(out, "main.go:"+strconv.Itoa(10+i)+":") {
			t.Errorf("%s compiles\n%s", k, out)
		}
	}
}
