package compat

import "io"

// textChunks is a long text written piece by piece and read back in
// ranges (a table's listing or save, kept whole until every rule of it
// decoded), in blocks of a fixed size: a single buffer of tens of
// megabytes grown by doubling moved and faulted in twice that.
type textChunks struct {
	chunks [][]byte // each of capacity textChunkSize, all full but the last
	n      int
}

const textChunkSize = 1 << 20

// Len is the length of the text.
func (t *textChunks) Len() int { return t.n }

// Write appends p; it never fails.
func (t *textChunks) Write(p []byte) (int, error) {
	appendChunks(t, p)
	return len(p), nil
}

// WriteString appends s; it never fails.
func (t *textChunks) WriteString(s string) (int, error) {
	appendChunks(t, s)
	return len(s), nil
}

func appendChunks[S ~string | ~[]byte](t *textChunks, p S) {
	t.n += len(p)
	for len(p) > 0 {
		if len(t.chunks) == 0 || len(t.chunks[len(t.chunks)-1]) == textChunkSize {
			t.chunks = append(t.chunks, make([]byte, 0, textChunkSize))
		}
		last := &t.chunks[len(t.chunks)-1]
		k := min(len(p), textChunkSize-len(*last))
		*last = append(*last, p[:k]...)
		p = p[k:]
	}
}

// Truncate keeps the first n bytes (n ≤ Len), keeping the memory of the
// chunks it empties for what is written next.
func (t *textChunks) Truncate(n int) {
	keep := (n + textChunkSize - 1) / textChunkSize
	if n%textChunkSize == 0 && keep < len(t.chunks) {
		// The chunk starting at n stays, empty, for what comes next.
		keep++
	}
	t.chunks = t.chunks[:min(keep, len(t.chunks))]
	if len(t.chunks) > 0 {
		t.chunks[len(t.chunks)-1] = t.chunks[len(t.chunks)-1][:n-(len(t.chunks)-1)*textChunkSize]
	}
	t.n = n
}

// Reset empties the text, keeping its first chunk.
func (t *textChunks) Reset() { t.Truncate(0) }

// WriteRange writes bytes [from, to) of the text to w.
func (t *textChunks) WriteRange(w io.Writer, from, to int) error {
	for from < to {
		c := t.chunks[from/textChunkSize]
		off := from % textChunkSize
		end := min(len(c), off+to-from)
		if _, err := w.Write(c[off:end]); err != nil {
			return err
		}
		from += end - off
	}
	return nil
}

// growFor lets a writer that can grow (a *bytes.Buffer, a
// *strings.Builder) make room for n more bytes at once: a table's text of
// tens of megabytes written to it in 1 MiB pieces would grow it by
// doubling, moving and faulting in about twice as much.
func growFor(w io.Writer, n int) {
	if g, ok := w.(interface{ Grow(int) }); ok {
		g.Grow(n)
	}
}
