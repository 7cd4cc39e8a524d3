package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A mapped input cut short while it is read gives from-file's error, not a crash
// (SIGBUS on the lost pages, turned into a panic by readGuarded); a fault elsewhere
// (here a nil pointer) is passed on.
func TestMappedInputCutShortIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.json")
	if err := os.WriteFile(path, []byte(strings.Repeat("x", 2*mapFromBytes)), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, unmap, ok := mapFile(f, 2*mapFromBytes)
	if !ok {
		t.Fatal("the kernel refused to map a regular file")
	}
	defer unmap()
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	read := func() (err error) {
		defer readGuarded(path, data, &err)()
		sum := 0
		for _, b := range data {
			sum += int(b)
		}
		if sum != 2*mapFromBytes*'x' {
			return fmt.Errorf("read %d", sum)
		}
		return nil
	}
	if err := read(); err == nil || !strings.Contains(err.Error(), "cut short while being read") {
		t.Fatalf("reading a truncated mapping: %v", err)
	}
	defer func() {
		if r := recover(); r == nil || strings.Contains(fmt.Sprint(r), "cut short") {
			t.Fatalf("a fault outside the mapping was not passed on: %v", r)
		}
	}()
	func() (err error) {
		defer readGuarded(path, data, &err)()
		var p *int
		return fmt.Errorf("%d", *p) // a fault outside the mapping: passed on
	}()
}
