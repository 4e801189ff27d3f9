package xtnl

// Reading rule messages, the one way they are read (dumps, events): into
// memory shared by a listing's rules, without copying a rule an earlier
// listing already holds, and checked for gaps a dump can leave.

import (
	"bytes"

	"github.com/xtnl/xtnl/internal/chunk"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// ruleFields are the attributes of a rule message, pointing into it.
type ruleFields struct {
	family               Family
	table, chain         []byte // without their NUL
	handle, position     uint64
	exprs, userData      []byte
	compat               []byte
	hasCompat, hasHandle bool
}

// scanRule reads a rule message's attributes (once: the gap check, the
// match against an earlier listing and the reader all use them).
func scanRule(b []byte) (ruleFields, error) {
	var f ruleFields
	if len(b) < nfgenmsgLen {
		return f, ErrTruncated
	}
	f, err := scanRuleAttrs(b[nfgenmsgLen:])
	f.family = Family(b[0])
	return f, err
}

// scanRuleAttrs is scanRule for a message's attributes alone (the
// family is left zero).
func scanRuleAttrs(b []byte) (ruleFields, error) {
	var f ruleFields
	a := nlattr.NewDecoder(b)
	for a.Next() {
		switch a.Type() {
		case unix.NFTA_RULE_TABLE:
			f.table = bytes.TrimRight(a.Bytes(), "\x00")
		case unix.NFTA_RULE_CHAIN:
			f.chain = bytes.TrimRight(a.Bytes(), "\x00")
		case unix.NFTA_RULE_HANDLE:
			f.handle, f.hasHandle = a.Uint64(), true
		case unix.NFTA_RULE_POSITION:
			f.position = a.Uint64()
		case unix.NFTA_RULE_EXPRESSIONS:
			f.exprs = a.Bytes()
		case unix.NFTA_RULE_USERDATA:
			f.userData = a.Bytes()
		case unix.NFTA_RULE_COMPAT:
			f.compat, f.hasCompat = a.Bytes(), true
		}
	}
	return f, malformed(a.Err())
}

// rawRuleReader reads rule messages (the one reader of them: dumps,
// events) into memory it hands out in chunks, growing with the listing:
// the rules, their compat attributes, their bytes; and a table or chain
// name equal to the last one read is the same string.
type rawRuleReader struct {
	rules        chunk.Of[RawRule]
	compats      chunk.Of[RuleCompat]
	bytes        chunk.Bytes
	table, chain string
}

func (rd *rawRuleReader) read(f *ruleFields) *RawRule {
	r := rd.rules.New()
	*r = RawRule{
		Family: f.family,
		Table:  rd.intern(&rd.table, f.table),
		Chain:  rd.intern(&rd.chain, f.chain),
		Handle: f.handle,
	}
	if f.exprs != nil {
		r.Exprs = chunk.Copy(&rd.bytes, f.exprs)
	}
	if f.userData != nil {
		r.UserData = chunk.Copy(&rd.bytes, f.userData)
	}
	if f.hasCompat {
		r.Compat = rd.compats.New()
		*r.Compat = readRuleCompat(f.compat)
	}
	return r
}

// intern returns the string of a name, the last one if it is the same.
func (rd *rawRuleReader) intern(last *string, b []byte) string {
	if string(b) != *last {
		*last = string(b)
	}
	return *last
}

// knownRules finds, for a dumped rule message, the very same rule in an
// earlier listing. Rules keep their order from one dump to the next, so it
// mostly walks the earlier listing alongside. A rule not where the walk
// expects it is looked for a step or two further (rules deleted), then
// known to be new if its handle is above every earlier one (the kernel
// numbers a table's rules upwards: rules appended), and only then looked
// up by handle.
type knownRules struct {
	prev      []*RawRule
	next      int            // where the walk expects the next rule
	maxHandle uint64         // the highest handle in prev, once needed
	byHandle  map[uint64]int // built the first time nothing else will do
}

// lookAhead is how many rules past the expected one are tried.
const lookAhead = 2

// find returns the earlier listing's rule equal to the message and its
// position there, or nil and -1.
func (k *knownRules) find(f *ruleFields) (*RawRule, int) {
	j := k.locate(f.handle)
	if j < 0 {
		return nil, -1
	}
	r := k.prev[j]
	if r.Family != f.family || r.Table != string(f.table) || r.Chain != string(f.chain) ||
		!bytes.Equal(r.Exprs, f.exprs) || !bytes.Equal(r.UserData, f.userData) ||
		f.hasCompat != (r.Compat != nil) || f.hasCompat && *r.Compat != readRuleCompat(f.compat) {
		return nil, -1
	}
	k.next = j + 1
	return r, j
}

// locate returns the position in prev of the rule with the handle, or -1.
func (k *knownRules) locate(handle uint64) int {
	if len(k.prev) == 0 {
		return -1
	}
	for j := k.next; j < len(k.prev) && j <= k.next+lookAhead; j++ {
		if k.prev[j].Handle == handle {
			return j
		}
	}
	if k.maxHandle == 0 {
		for _, r := range k.prev {
			k.maxHandle = max(k.maxHandle, r.Handle)
		}
	}
	if handle > k.maxHandle {
		return -1
	}
	if k.byHandle == nil {
		k.byHandle = make(map[uint64]int, len(k.prev))
		for i, r := range k.prev {
			k.byHandle[r.Handle] = i
		}
	}
	if j, ok := k.byHandle[handle]; ok {
		return j
	}
	return -1
}

// decodeRule reads and decodes one NEWRULE message.
func decodeRule(b []byte) (*Rule, error) {
	f, err := scanRule(b)
	if err != nil {
		return nil, err
	}
	var rd rawRuleReader
	return rd.read(&f).Decode()
}

// readRuleCompat reads an NFTA_RULE_COMPAT attribute.
func readRuleCompat(b []byte) RuleCompat {
	var rc RuleCompat
	ca := nlattr.NewDecoder(b)
	for ca.Next() {
		switch ca.Type() {
		case nftaRuleCompatProto:
			rc.Proto = ca.Uint32()
		case nftaRuleCompatFlags:
			rc.Invert = ca.Uint32()&nftRuleCompatFInv != 0
		}
	}
	return rc
}

// ruleHandle extracts NFTA_RULE_HANDLE from an echoed NEWRULE message.
func ruleHandle(b []byte) (uint64, bool) {
	f, err := scanRule(b)
	return f.handle, err == nil && f.hasHandle
}

// ruleSequence checks that a rule dump skipped nothing. The kernel resumes
// a dump by counting a chain's rules, inactive ones included; when rules
// deleted by a commit are freed between two parts of a dump, the count
// shifts and rules are skipped, with the generation unchanged and no
// NLM_F_DUMP_INTR. Every dumped rule names the one before it
// (NFTA_RULE_POSITION, absent for the first), so a gap shows as a rule not
// naming the previous one read in its chain; the dump is then retried.
type ruleSequence struct {
	started    bool
	last       []byte // the chain of the rule read last, and its handle
	lastHandle uint64
	others     map[string]uint64 // the other chains' last handles
}

func (s *ruleSequence) next(f *ruleFields) error {
	chain, handle, prev := f.chain, f.handle, f.position
	if !s.started || !bytes.Equal(chain, s.last) {
		// Another chain (a table's dump): file the one left.
		if s.others == nil {
			s.others = map[string]uint64{}
		}
		if s.started {
			s.others[string(s.last)] = s.lastHandle
		}
		s.started = true
		s.last, s.lastHandle = append(s.last[:0:0], chain...), s.others[string(chain)]
	}
	if s.lastHandle != prev {
		return errDumpRetry
	}
	s.lastHandle = handle
	return nil
}

// reset forgets every chain, for a new attempt.
func (s *ruleSequence) reset() { *s = ruleSequence{} }
