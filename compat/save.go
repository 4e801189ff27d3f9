package compat

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Writer collects the text an extension's Save prints. It has
// strings.Builder's methods, and like it never changes what String has
// returned; unlike it, compat can reuse its memory for the next rule once
// it has copied what it keeps. Like a strings.Builder, a Writer must not
// be copied once written to (the copy would write over the bytes of the
// original's strings); go vet's copylocks check reports copies.
type Writer struct {
	_   noCopy
	buf []byte
	// The namespace the rule comes from, for names printed from indexes.
	nsFd  int
	hasNS bool
	// numeric is -L's -n: numbers instead of names in Print output.
	numeric bool
	// proto names the protocol whose service names ports print as.
	proto string
}

// noCopy makes go vet report copies of the struct holding it.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}

// Write appends p; it never fails.
func (w *Writer) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// WriteString appends str; it never fails.
func (w *Writer) WriteString(str string) (int, error) {
	w.buf = append(w.buf, str...)
	return len(str), nil
}

// WriteByte appends c; it never fails.
func (w *Writer) WriteByte(c byte) error {
	w.buf = append(w.buf, c)
	return nil
}

// WriteRune appends r's UTF-8 encoding; it never fails.
func (w *Writer) WriteRune(r rune) (int, error) {
	n := len(w.buf)
	w.buf = utf8.AppendRune(w.buf, r)
	return len(w.buf) - n, nil
}

// String returns what was written, without copying it.
func (w *Writer) String() string { return unsafe.String(unsafe.SliceData(w.buf), len(w.buf)) }

// Len is the number of bytes written.
func (w *Writer) Len() int { return len(w.buf) }

// Cap is the room for bytes, written or not.
func (w *Writer) Cap() int { return cap(w.buf) }

// Grow makes room for n more bytes.
func (w *Writer) Grow(n int) { w.buf = slices.Grow(w.buf, n) }

// Reset empties the Writer (strings already returned stay as they are).
func (w *Writer) Reset() { w.buf = nil }

// reuse empties the Writer into its own memory, for a caller that is done
// with every string it returned (decodeScratch).
func (w *Writer) reuse() { w.buf = w.buf[:0] }

// Numeric reports whether Print should show numbers rather than names
// (iptables -L -n).
func (w *Writer) Numeric() bool { return w.numeric }

// NetNSFd is the network namespace the printed rule belongs to (-1: the
// current one).
func (w *Writer) NetNSFd() int {
	if !w.hasNS {
		return -1
	}
	return w.nsFd
}

func (s *Spec) writer() *Writer { return &Writer{nsFd: s.nsFd, hasNS: true} }

// Opt writes " [! ]--name [values...]"; values are written as given.
func (w *Writer) Opt(invert bool, name string, values ...string) {
	if invert {
		w.WriteString(" !")
	}
	w.WriteString(" --")
	w.WriteString(name)
	for _, v := range values {
		w.WriteByte(' ')
		w.WriteString(v)
	}
}

// Quoted writes " value", quoted and escaped as iptables does for free
// text (comments, prefixes): bare when it is only letters, digits, '-' and
// '_', in double quotes otherwise, with ", \ and ' escaped.
func (w *Writer) Quoted(value string) {
	w.WriteByte(' ')
	w.WriteString(QuoteString(value))
}

// QuoteString quotes a value as iptables-save does (xtables_save_string).
func QuoteString(value string) string {
	bare := value != ""
	for i := 0; i < len(value); i++ {
		c := value[i]
		if !(c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			bare = false
			break
		}
	}
	if bare {
		return value
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(value); i++ {
		c := value[i]
		if c == '"' || c == '\\' || c == '\'' {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
	return b.String()
}

// String prints the rule as `iptables -S` does.
func (s *Spec) String() string { return s.Format(false) }

// Format prints the rule as `iptables -S` does ("-A CHAIN ..."); with
// counters, as `iptables -v -S` does (" -c PACKETS BYTES" before the
// target).
func (s *Spec) Format(counters bool) string {
	line, _ := s.formatLine(s.writer(), counters)
	return line
}

// Body prints the rule without "-A CHAIN": the rulespec as iptables would
// print it, starting with a space unless empty.
func (s *Spec) Body() string {
	w := s.writer()
	s.formatBody(w, false)
	return w.String()
}

// line prints the rule as -S does (Format without counters) into w, an
// empty Writer for s, and returns its body (Body) as a part of the same
// string.
func (s *Spec) line(w *Writer) (line, body string) {
	line, at := s.formatLine(w, false)
	return line, line[at:]
}

// formatLine is Format into w, an empty Writer for s, and where in the
// line the body starts.
func (s *Spec) formatLine(w *Writer, counters bool) (string, int) {
	w.Grow(lineSizeHint)
	w.WriteString("-A ")
	w.WriteString(s.Chain)
	at := w.Len()
	s.formatBody(w, counters)
	return w.String(), at
}

// lineSizeHint is room for a typical -S line, so that printing one does
// not grow its buffer several times over.
const lineSizeHint = 96

func (s *Spec) formatBody(w *Writer, counters bool) {
	addr := func(flag string, a Addr, inv bool) {
		if a.isZero(s.Family) && !inv {
			return
		}
		if inv {
			w.WriteString(" !")
		}
		var buf [112]byte
		b := append(buf[:0], ' ')
		b = append(b, flag...)
		b = append(b, ' ')
		w.Write(a.appendTo(b, s.Family))
	}
	addr("-s", s.Src, s.InvSrc)
	addr("-d", s.Dst, s.InvDst)
	iface := func(flag, name string, inv bool) {
		if name == "" || (name == "+" && !inv) {
			return
		}
		if inv {
			w.WriteString(" !")
		}
		w.WriteString(" " + flag + " " + name)
	}
	iface("-i", s.InIface, s.InvIn)
	iface("-o", s.OutIface, s.InvOut)
	if s.Proto != 0 {
		if s.InvProto {
			w.WriteString(" !")
		}
		w.WriteString(" -p " + formatProto(s.Proto))
	}
	if s.Frag {
		if s.InvFrag {
			w.WriteString(" !")
		}
		w.WriteString(" -f")
	}
	for _, m := range s.Matches {
		name := m.Ext.Name
		if m.Ext.SaveName != nil {
			name = m.Ext.SaveName(m.Info)
		}
		w.WriteString(" -m " + name)
		if m.Ext.Save != nil {
			m.Ext.Save(m.Info, w)
		}
	}
	if counters && s.Counters != nil {
		w.WriteString(" -c " + strconv.FormatUint(s.Counters.Packets, 10) + " " + strconv.FormatUint(s.Counters.Bytes, 10))
	}
	switch {
	case s.Target != nil:
		name := s.Target.Ext.Name
		if s.Target.Ext.SaveName != nil {
			name = s.Target.Ext.SaveName(s.Target.Info)
		}
		w.WriteString(" -j " + name)
		if s.Target.Ext.Save != nil {
			s.Target.Ext.Save(s.Target.Info, w)
		}
	case s.Verdict != "" && s.Goto:
		w.WriteString(" -g " + s.Verdict)
	case s.Verdict != "":
		w.WriteString(" -j " + s.Verdict)
	}
}
