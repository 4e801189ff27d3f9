package xtnl_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeSnippetsAreExamples: every Go snippet of the README is an
// Example or test function of the repository, verbatim, so each one
// compiles and runs with go test (an Example's Output is checked too).
func TestReadmeSnippetsAreExamples(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var sources strings.Builder
	err = filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (strings.HasPrefix(d.Name(), ".") || fileExists(filepath.Join(path, "go.mod"))) {
			return filepath.SkipDir // another module
		}
		if strings.HasSuffix(path, "_test.go") {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sources.Write(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllSubmatch(readme, -1)
	if len(blocks) == 0 {
		t.Fatal("no Go snippet in the README")
	}
	for _, b := range blocks {
		snippet := string(b[1])
		if !regexp.MustCompile(`^func (Example|Test)\w*\(`).MatchString(snippet) {
			t.Errorf("README snippet is not an Example or test function:\n%s", snippet)
			continue
		}
		if !strings.Contains(sources.String(), snippet) {
			t.Errorf("README snippet is not, verbatim, a function of the repository's tests:\n%s", snippet)
		}
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
