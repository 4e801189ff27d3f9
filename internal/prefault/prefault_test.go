package prefault

import (
	"bytes"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// resident counts the pages of mem the kernel has mapped.
func resident(t *testing.T, mem []byte) int {
	t.Helper()
	vec := make([]byte, (len(mem)+int(pageSize)-1)/int(pageSize))
	_, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&mem[0])), uintptr(len(mem)), uintptr(unsafe.Pointer(&vec[0])))
	if errno != 0 {
		t.Fatal(errno)
	}
	n := 0
	for _, v := range vec {
		n += int(v & 1)
	}
	return n
}

// Slice maps every whole page of the slice's backing array, and nothing
// of memory never touched is mapped without it.
func TestSliceMapsThePages(t *testing.T) {
	const pages = 64
	fresh := func() []byte {
		mem, err := unix.Mmap(-1, 0, pages*int(pageSize), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Munmap(mem) })
		return mem
	}
	if n := resident(t, fresh()); n != 0 {
		t.Fatalf("fresh mapping has %d pages mapped before any write", n)
	}
	mem := fresh()
	Slice(mem[:0])
	if n := resident(t, mem); n != pages {
		t.Fatalf("%d of %d pages mapped after Slice", n, pages)
	}
	// A slice starting inside a page: the whole pages after it.
	mem = fresh()
	Slice(mem[100:100])
	if n := resident(t, mem); n != pages-1 {
		t.Fatalf("%d pages mapped after Slice from inside the first, want %d", n, pages-1)
	}
	// Below Min, nothing is asked.
	mem = fresh()
	Slice(mem[: 0 : Min/2])
	if n := resident(t, mem); n != 0 {
		t.Fatalf("%d pages mapped for a slice below Min", n)
	}
}

// What a slice holds stays as it is, whatever its element type.
func TestSliceKeepsContents(t *testing.T) {
	b := bytes.Repeat([]byte("xtnl"), 64<<10)
	want := bytes.Clone(b)
	if got := Slice(b); !bytes.Equal(got, want) || &got[0] != &b[0] {
		t.Fatal("Slice changed the bytes or returned another slice")
	}
	words := make([]uint64, 8<<10)
	for i := range words {
		words[i] = uint64(i) * 0x9e3779b97f4a7c15
	}
	Slice(words)
	for i, w := range words {
		if w != uint64(i)*0x9e3779b97f4a7c15 {
			t.Fatalf("word %d changed", i)
		}
	}
	Slice([]struct{}{})
	Slice([]byte(nil))
}
