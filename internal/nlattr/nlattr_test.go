package nlattr_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/mdlayher/netlink"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// The appenders write what mdlayher/netlink's encoder writes (with
// big-endian integers, as nf_tables wants them).
func TestAppendMatchesNetlink(t *testing.T) {
	ae := netlink.NewAttributeEncoder()
	ae.String(1, "filter")
	ae.Uint16(2, 0x1234)
	ae.Uint32(3, 0xdeadbeef)
	ae.Uint64(4, 1<<40)
	ae.Bytes(5, []byte{1, 2, 3})
	ae.Nested(6, func(nae *netlink.AttributeEncoder) error {
		nae.Uint32(1, 7)
		return nil
	})
	ae.ByteOrder = nil
	want, err := ae.Encode()
	if err != nil {
		t.Fatal(err)
	}

	var b []byte
	b = nlattr.AppendString(b, 1, "filter")
	b = nlattr.AppendUint16(b, 2, 0x1234)
	b = nlattr.AppendUint32(b, 3, 0xdeadbeef)
	b = nlattr.AppendUint64(b, 4, 1<<40)
	b = nlattr.AppendBytes(b, 5, []byte{1, 2, 3})
	b, at := nlattr.Begin(b, 6|unix.NLA_F_NESTED)
	b = nlattr.AppendUint32(b, 1, 7)
	b = nlattr.End(b, at)

	// netlink's encoder writes integers in host byte order; compare the
	// framing and the strings, then the values read back.
	if len(b) != len(want) {
		t.Fatalf("length %d, want %d", len(b), len(want))
	}
	d := nlattr.NewDecoder(b)
	var got []string
	for d.Next() {
		switch d.Type() {
		case 1:
			got = append(got, d.String())
		case 2:
			got = append(got, fmt.Sprintf("%#x", d.Bytes()))
		case 3:
			got = append(got, fmt.Sprintf("%#x", d.Uint32()))
		case 4:
			got = append(got, fmt.Sprint(d.Uint64()))
		case 5:
			got = append(got, fmt.Sprint(d.Bytes()))
		case 6:
			n := nlattr.NewDecoder(d.Bytes())
			for n.Next() {
				got = append(got, fmt.Sprintf("nested %v %d", d.Nested(), n.Uint32()))
			}
		}
	}
	if d.Err() != nil {
		t.Fatal(d.Err())
	}
	if s := fmt.Sprint(got); s != "[filter 0x1234 0xdeadbeef 1099511627776 [1 2 3] nested true 7]" {
		t.Fatalf("read back %s", s)
	}
}

func TestDecoderErrors(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want string
	}{
		{[]byte{8, 0, 1}, "truncated attribute header"},
		{[]byte{3, 0, 1, 0}, "attribute length 3 out of range"},
		{[]byte{12, 0, 1, 0, 0, 0, 0, 0}, "attribute length 12 out of range"},
	} {
		d := nlattr.NewDecoder(tc.in)
		for d.Next() {
		}
		if d.Err() == nil || d.Err().Error() != tc.want {
			t.Errorf("% x: error %v, want %q", tc.in, d.Err(), tc.want)
		}
	}
	d := nlattr.NewDecoder(nlattr.AppendUint16(nil, 1, 1))
	for d.Next() {
		d.Uint32()
	}
	if !errors.Is(d.Err(), nlattr.ErrShortValue) {
		t.Errorf("short value: %v", d.Err())
	}
}

func TestDecoderAttrAndOffset(t *testing.T) {
	b := nlattr.AppendString(nil, 1, "ab")
	b = nlattr.AppendUint32(b, 2, 9)
	d := nlattr.NewDecoder(b)
	d.Next()
	d.Next()
	if d.Offset() != 8 || !bytes.Equal(d.Attr(), b[8:]) {
		t.Fatalf("offset %d attr % x", d.Offset(), d.Attr())
	}
}

func TestNoAllocations(t *testing.T) {
	buf := make([]byte, 0, 256)
	var sink uint64
	n := testing.AllocsPerRun(100, func() {
		b := nlattr.AppendString(buf[:0], 1, "filter")
		b, at := nlattr.Begin(b, 2|unix.NLA_F_NESTED)
		b = nlattr.AppendUint64(b, 1, 42)
		b = nlattr.End(b, at)
		d := nlattr.NewDecoder(b)
		for d.Next() {
			if d.Type() == 2 {
				n := nlattr.NewDecoder(d.Bytes())
				for n.Next() {
					sink += n.Uint64()
				}
			}
		}
	})
	if n != 0 {
		t.Fatalf("%v allocations per run", n)
	}
	_ = sink
}

func Example() {
	var b []byte
	b = nlattr.AppendString(b, unix.NFTA_TABLE_NAME, "filter")
	b = nlattr.AppendUint32(b, unix.NFTA_TABLE_FLAGS, 0)

	d := nlattr.NewDecoder(b)
	for d.Next() {
		switch d.Type() {
		case unix.NFTA_TABLE_NAME:
			fmt.Println("name", d.String())
		case unix.NFTA_TABLE_FLAGS:
			fmt.Println("flags", d.Uint32())
		}
	}
	if err := d.Err(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// name filter
	// flags 0
}

func TestSplit(t *testing.T) {
	b := nlattr.AppendString(nil, 1|unix.NLA_F_NESTED, "abc")
	typ, payload, size, ok := nlattr.Split(b)
	if !ok || typ != 1|unix.NLA_F_NESTED || string(payload) != "abc\x00" || size != 8 {
		t.Fatalf("Split: %#x %q %d %v", typ, payload, size, ok)
	}
	if _, _, _, ok := nlattr.Split(b[:6]); ok {
		t.Fatal("Split accepted a length past the end")
	}
	if err := nlattr.SplitError(b[:6]); err == nil || err.Error() != "attribute length 8 out of range" {
		t.Fatalf("SplitError: %v", err)
	}
	if err := nlattr.SplitError(nil); err != nil {
		t.Fatalf("SplitError(nil): %v", err)
	}
}
