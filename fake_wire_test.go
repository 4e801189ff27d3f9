package xtnl

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xtnl/xtnl/expr"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// wireRecorder keeps every datagram a connection receives.
type wireRecorder struct {
	transport
	got [][]byte
}

func (w *wireRecorder) recv(b []byte, wait bool, timeout time.Duration) (int, bool, error) {
	n, ok, err := w.transport.recv(b, wait, timeout)
	if ok && err == nil {
		w.got = append(w.got, bytes.Clone(b[:n]))
	}
	return n, ok, err
}

// canonicalWire renders received datagrams byte for byte, except what
// legitimately differs: port ids, the caller's pid and name in NEWGEN, and
// rule expressions, which the kernel re-encodes (they are printed
// decoded instead).
func canonicalWire(dgrams [][]byte) string {
	var sb strings.Builder
	for _, d := range dgrams {
		sb.WriteString("datagram\n")
		_ = splitMessages(d, func(m message) error {
			fmt.Fprintf(&sb, "  type %#x flags %#x seq %d", m.Type, m.Flags, m.Seq)
			switch {
			case m.Type == nftType(unix.NFT_MSG_NEWGEN):
				a := nlattr.NewDecoder(m.Data[nfgenmsgLen:])
				fmt.Fprintf(&sb, " nfgen %x", m.Data[:nfgenmsgLen])
				for a.Next() {
					if a.Type() == nftaGenID {
						fmt.Fprintf(&sb, " genid %d", a.Uint32())
					}
				}
			case m.Type == nftType(unix.NFT_MSG_NEWRULE), m.Type == nftType(unix.NFT_MSG_DELRULE):
				fmt.Fprintf(&sb, " nfgen %x", m.Data[:nfgenmsgLen])
				a := nlattr.NewDecoder(m.Data[nfgenmsgLen:])
				for a.Next() {
					if a.Type() == unix.NFTA_RULE_EXPRESSIONS {
						exprs, err := expr.UnmarshalList(m.Data[0], a.Bytes())
						fmt.Fprintf(&sb, "\n    exprs (err %v)\n%s", err, expr.FormatList(m.Data[0], exprs))
					} else {
						fmt.Fprintf(&sb, "\n    attr %d %x", a.Type(), a.Bytes())
					}
				}
			default:
				fmt.Fprintf(&sb, " len %d data %x", len(m.Data), m.Data)
			}
			sb.WriteString("\n")
			return nil
		})
	}
	return sb.String()
}

// TestFakeWireMatchesKernel runs scenarios of the shared suite recording
// what each backend sends back, and compares the answers on the wire:
// ACKs, errors with their extended ACK, echoes, dump messages and their
// attributes, NLMSG_DONE, NEWGEN.
func TestFakeWireMatchesKernel(t *testing.T) {
	for _, sc := range fakeScenarios {
		if sc.name == "LargeTransaction" {
			continue // dump datagram sizes are the kernel's own business
		}
		t.Run(sc.name, func(t *testing.T) {
			var got [2]string
			for i, name := range []string{"kernel", "fake"} {
				ok := t.Run(name, func(t *testing.T) {
					b := fakeBackend(t)
					if name == "kernel" {
						b = kernelBackend(t)
					}
					rec := &wireRecorder{transport: b.c.t}
					b.c.t = rec
					sc.run(b)
					got[i] = canonicalWire(rec.got)
				})
				if !ok {
					return
				}
			}
			compareObservations(t, strings.Split(got[0], "datagram\n"), strings.Split(got[1], "datagram\n"))
		})
	}
}
