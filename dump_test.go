package xtnl

import (
	"encoding/binary"
	"errors"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// scriptedTransport answers receives with datagrams given in advance,
// then with err.
type scriptedTransport struct {
	mu    sync.Mutex
	grams [][]byte
	err   error
}

func (s *scriptedTransport) send([][]byte, time.Duration) error { return nil }
func (s *scriptedTransport) setBuffer(bool, int) error          { return nil }
func (s *scriptedTransport) close() error                       { return nil }

func (s *scriptedTransport) recv(b []byte, _ bool, _ time.Duration) (int, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.grams) == 0 {
		if s.err != nil {
			return 0, false, s.err
		}
		return 0, false, errors.New("scripted transport: read past the script")
	}
	g := s.grams[0]
	s.grams = s.grams[1:]
	if len(g) > len(b) {
		return 0, false, ErrTruncated
	}
	return copy(b, g), true, nil
}

// nlMsg is one netlink message: header and payload, padded.
func nlMsg(typ uint16, seq uint32, payload []byte) []byte {
	l := nlmsgHdrLen + len(payload)
	m := make([]byte, (l+3)&^3)
	binary.NativeEndian.PutUint32(m, uint32(l))
	binary.NativeEndian.PutUint16(m[4:], typ)
	binary.NativeEndian.PutUint32(m[8:], seq)
	copy(m[nlmsgHdrLen:], payload)
	return m
}

// TestPipelinedDumpKeepsEveryMessageInOrder: a dump of many datagrams of
// various sizes (several fill a buffer between hand-overs) reaches the
// consumer whole and in order, stale messages skipped, and the reading
// stops at the dump's end.
func TestPipelinedDumpKeepsEveryMessageInOrder(t *testing.T) {
	const seq = 7
	st := &scriptedTransport{}
	want := 0
	for g := range 40 {
		var gram []byte
		for range 1 + g%9 {
			p := make([]byte, 4+(want*37)%3000)
			binary.BigEndian.PutUint32(p, uint32(want))
			gram = append(gram, nlMsg(nftType(unix.NFT_MSG_NEWRULE), seq, p)...)
			want++
		}
		if g == 5 {
			gram = append(gram, nlMsg(nftType(unix.NFT_MSG_NEWRULE), seq-1, []byte{0xff, 0xff, 0xff, 0xff})...) // stale
		}
		st.grams = append(st.grams, gram)
	}
	st.grams = append(st.grams, nlMsg(unix.NLMSG_DONE, seq, make([]byte, 4)))
	st.err = errors.New("read after the end of the dump")
	c := &Conn{t: st, rbuf: make([]byte, recvBufSize)}
	var got []uint32
	h := dumpReader{seq: seq, fn: func(m message) error {
		got = append(got, binary.BigEndian.Uint32(m.Data))
		return nil
	}}
	if err := c.recvPipelined(&h); err != nil {
		t.Fatal(err)
	}
	if !h.done || len(got) != want {
		t.Fatalf("done %v, %d messages, want %d", h.done, len(got), want)
	}
	for i, v := range got {
		if v != uint32(i) {
			t.Fatalf("message %d is %d: out of order", i, v)
		}
	}
}

// TestPipelinedDumpReportsAReceiveError: a receive failing in the middle
// of a dump is reported after the messages read before it, and nothing
// is read after it.
func TestPipelinedDumpReportsAReceiveError(t *testing.T) {
	const seq = 3
	st := &scriptedTransport{err: unix.ENOBUFS}
	for range 5 {
		st.grams = append(st.grams, nlMsg(nftType(unix.NFT_MSG_NEWRULE), seq, make([]byte, 100)))
	}
	c := &Conn{t: st, rbuf: make([]byte, recvBufSize)}
	n := 0
	h := dumpReader{seq: seq, fn: func(message) error { n++; return nil }}
	err := c.recvPipelined(&h)
	if !errors.Is(err, unix.ENOBUFS) || n != 5 {
		t.Fatalf("err %v after %d messages; want ENOBUFS after 5", err, n)
	}
}
