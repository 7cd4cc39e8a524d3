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

// The split first scan (countObjects) reads the input's second half on another
// goroutine: a mapped input cut short there is a fault that goroutine recovers from,
// and the error comes, as above, from the goroutine that reads under readGuarded.
func TestMappedArrayCutShortUnderTheSplitScanIsAnError(t *testing.T) {
	defer func(old int) { splitScanMin = old }(splitScanMin)
	splitScanMin = 1024
	rec := `{"v": "abcdefghijklmnopqrstuvwxyz"}`
	n := 4*mapFromBytes/(len(rec)+2) + 1
	body := "[" + strings.Repeat(rec+",\n", n-1) + rec + "]\n"
	path := filepath.Join(t.TempDir(), "in.json")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, unmap, ok := mapFile(f, int64(len(body)))
	if !ok {
		t.Fatal("the kernel refused to map a regular file")
	}
	defer unmap()
	if mid := guessElementStart(data, 1); mid < 0 || mid > len(body)*3/4-8192 {
		t.Fatalf("the split would start at %d of %d", mid, len(body))
	}
	// The middle stays readable (the guess and the first half); the last quarter, cut at
	// a page boundary (a page holding the new end reads as zeros past it), faults.
	if err := os.Truncate(path, int64(len(body)*3/4)&^int64(os.Getpagesize()-1)); err != nil {
		t.Fatal(err)
	}
	err = func() (err error) {
		defer readGuarded(path, data, &err)()
		_, err = parseRecords(path, data, recordSpec{topic: "t", format: "array"})
		return err
	}()
	if err == nil || !strings.Contains(err.Error(), "cut short while being read") {
		t.Fatalf("parsing a mapped array cut short: %v", err)
	}
}
