package sysfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ReadFile reads a file larger than its first buffer whole, an empty
// file as empty, and reports a missing file as fs.ErrNotExist.
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	for _, size := range []int{0, 1, 16 << 10, 66_000} {
		path := filepath.Join(dir, "f")
		want := strings.Repeat("x", size)
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := ReadFile(path)
		if err != nil || string(got) != want {
			t.Fatalf("size %d: read %d bytes, %v", size, len(got), err)
		}
	}
	_, err := ReadFile(filepath.Join(dir, "none"))
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "none") {
		t.Fatalf("missing file: %v", err)
	}
}
