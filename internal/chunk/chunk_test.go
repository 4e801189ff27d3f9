package chunk

import (
	"bytes"
	"testing"
)

// Values handed out are zero, distinct, and stay where they are and as
// they were set while more are handed out.
func TestOfHandsOutValuesThatStay(t *testing.T) {
	var o Of[[3]int]
	var got []*[3]int
	for i := range 5000 {
		v := o.New()
		if *v != [3]int{} {
			t.Fatalf("value %d not zero: %v", i, *v)
		}
		*v = [3]int{i, i, i}
		got = append(got, v)
	}
	for i, v := range got {
		if *v != [3]int{i, i, i} {
			t.Fatalf("value %d became %v", i, *v)
		}
	}
}

// Copies hold what was copied, from strings and byte slices alike, also
// past a chunk's size; appending to one never writes into the next.
func TestCopyKeepsItsOwn(t *testing.T) {
	var b Bytes
	var got [][]byte
	var want [][]byte
	for i := range 3000 {
		s := bytes.Repeat([]byte{byte(i)}, i%300)
		if i%2 == 0 {
			got = append(got, Copy(&b, string(s)))
		} else {
			got = append(got, Copy(&b, s))
		}
		want = append(want, s)
	}
	big := bytes.Repeat([]byte("x"), 3*maxBytes)
	if c := Copy(&b, big); !bytes.Equal(c, big) {
		t.Fatal("a copy larger than a chunk differs")
	}
	for i := range got {
		if cap(got[i]) != len(got[i]) {
			t.Fatalf("copy %d has room past its end", i)
		}
		_ = append(got[i], 0xee)
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("copy %d changed", i)
		}
	}
}
