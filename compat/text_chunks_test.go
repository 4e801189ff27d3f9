package compat

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestTextChunksAgainstABuffer writes, truncates and reads ranges of a
// textChunks and of a bytes.Buffer alike, across chunk boundaries.
func TestTextChunksAgainstABuffer(t *testing.T) {
	var tc textChunks
	var ref []byte
	r := rand.New(rand.NewPCG(1, 2))
	for step := range 3000 {
		switch op := r.IntN(10); {
		case op < 7:
			p := bytes.Repeat([]byte{byte('a' + step%26)}, r.IntN(3*textChunkSize/2))
			if op%2 == 0 {
				tc.Write(p)
			} else {
				tc.WriteString(string(p))
			}
			ref = append(ref, p...)
		case op < 9:
			n := r.IntN(len(ref) + 1)
			tc.Truncate(n)
			ref = ref[:n]
		default:
			tc.Reset()
			ref = ref[:0]
		}
		if tc.Len() != len(ref) {
			t.Fatalf("step %d: Len %d, want %d", step, tc.Len(), len(ref))
		}
		if len(ref) > 0 && step%50 == 0 {
			from := r.IntN(len(ref))
			to := from + r.IntN(len(ref)-from+1)
			var got bytes.Buffer
			if err := tc.WriteRange(&got, from, to); err != nil || !bytes.Equal(got.Bytes(), ref[from:to]) {
				t.Fatalf("step %d: range [%d,%d) differs (%v)", step, from, to, err)
			}
		}
		if len(ref) > 8*textChunkSize {
			tc.Reset()
			ref = ref[:0]
		}
	}
}
