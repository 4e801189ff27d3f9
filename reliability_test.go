package xtnl

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	nftexpr "github.com/google/nftables/expr"
	"github.com/xtnl/xtnl/expr"
	"github.com/xtnl/xtnl/internal/nfnl"
	"github.com/xtnl/xtnl/internal/nlattr"
	"golang.org/x/sys/unix"
)

// Reliability under failure: atomicity of large transactions, bounded
// retries on generation conflicts, dumps that race with writers or lose
// datagrams, replies we do not understand, and callers without
// CAP_NET_ADMIN.

// buildMixedTx fills tx with n operations of several kinds (chains, rule
// appends, inserts and flushes) in table t, chain c already existing;
// bad(i, tx) may add operation i instead.
func buildMixedTx(tx *Tx, n int, bad func(i int, tx *Tx) bool) {
	for i := range n {
		if bad != nil && bad(i, tx) {
			continue
		}
		switch i % 10 {
		case 0:
			tx.AddChain(&Chain{Family: FamilyIPv4, Table: "t", Name: fmt.Sprintf("u%d", i)})
		case 1:
			tx.InsertRule(benchRule(FamilyIPv4, "t", "c", i))
		case 2:
			tx.FlushChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "c"})
		default:
			tx.AppendRule(benchRule(FamilyIPv4, "t", "c", i))
		}
	}
}

// TestAtomicityRandomBadOperation: a 10k-operation transaction with one
// bad operation at a random index changes nothing, and the error names
// that index, whether the kernel refuses the operation or we do before
// sending anything.
func TestAtomicityRandomBadOperation(t *testing.T) {
	needTool(t, "nft")
	c, ns := newTestConn(t)
	setupChain(t, c, FamilyIPv4, "t", "c")
	for i := range 5 {
		if err := c.AppendRule(benchRule(FamilyIPv4, "t", "c", i)); err != nil {
			t.Fatal(err)
		}
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	const n = 10_000
	before := ns.MustRun(t, "nft", "list", "ruleset")

	for round := range 3 {
		// Kernel-refused: a jump to a chain that does not exist.
		bad := rng.IntN(n)
		tx := c.Begin()
		buildMixedTx(tx, n, func(i int, tx *Tx) bool {
			if i != bad {
				return false
			}
			r := benchRule(FamilyIPv4, "t", "c", i)
			r.Exprs[len(r.Exprs)-1] = &nftexpr.Verdict{Kind: nftexpr.VerdictJump, Chain: "missing"}
			tx.AppendRule(r)
			return true
		})
		err := tx.Commit()
		var oe *OpError
		if !errors.As(err, &oe) || !errors.Is(err, ErrNotExist) {
			t.Fatalf("round %d, bad op %d: commit: %v, want an *OpError matching ErrNotExist", round, bad, err)
		}
		if oe.Index != bad || oe.Op != "append rule" {
			t.Fatalf("round %d: error names operation %d (%s), the bad one is %d (append rule)", round, oe.Index, oe.Op, bad)
		}
		if after := ns.MustRun(t, "nft", "list", "ruleset"); after != before {
			t.Fatalf("round %d: a refused transaction changed the ruleset", round)
		}

		// Invalid before sending: an expression that cannot be encoded,
		// or a name the kernel could not hold.
		bad = rng.IntN(n)
		tx = c.Begin()
		buildMixedTx(tx, n, func(i int, tx *Tx) bool {
			if i != bad {
				return false
			}
			if round%2 == 0 {
				tx.AppendRule(&Rule{Family: FamilyIPv4, Table: "t", Chain: "c", Exprs: []expr.Expr{42}})
			} else {
				tx.AddChain(&Chain{Family: FamilyIPv4, Table: "t", Name: strings.Repeat("x", 256)})
			}
			return true
		})
		err = tx.Commit()
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), fmt.Sprintf("operation %d:", bad)) {
			t.Fatalf("round %d: invalid op %d: commit: %v, want ErrInvalid naming operation %d", round, bad, err, bad)
		}
		if after := ns.MustRun(t, "nft", "list", "ruleset"); after != before {
			t.Fatalf("round %d: an invalid transaction changed the ruleset", round)
		}
	}
}

// TestUpdateRetriesAreBounded: when every attempt conflicts with another
// writer, Update gives up after exactly the number of attempts asked for
// and the error matches ErrGenerationChanged; nothing of it is applied.
func TestUpdateRetriesAreBounded(t *testing.T) {
	c, ns := newTestConn(t)
	setupChain(t, c, FamilyIPv4, "t", "c")
	other, err := Open(WithNetNS(ns.Name))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	for _, attempts := range []int{1, 3, 8} {
		calls := 0
		start := time.Now()
		err := c.Update(attempts, func(tx *Tx) error {
			calls++
			// Another writer commits between our read and our commit.
			if err := other.AddTable(&Table{Family: FamilyIPv4, Name: fmt.Sprintf("o%d_%d", attempts, calls)}); err != nil {
				return err
			}
			tx.AppendRule(benchRule(FamilyIPv4, "t", "c", calls))
			return nil
		})
		if !errors.Is(err, ErrGenerationChanged) {
			t.Fatalf("Update(%d) under constant conflict: %v, want ErrGenerationChanged", attempts, err)
		}
		if calls != attempts {
			t.Fatalf("Update(%d) ran fn %d times", attempts, calls)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("Update(%d) took %v", attempts, d)
		}
	}
	if rules, err := c.ListRules(FamilyIPv4, "t", "c"); err != nil || len(rules) != 0 {
		t.Fatalf("conflicting updates applied something: %d rules, %v", len(rules), err)
	}
}

// stateRule is rule i of state k: "meta mark == k, ip saddr == i".
func stateRule(k uint32, i int) *Rule {
	return &Rule{Family: FamilyIPv4, Table: "t", Chain: "c", Exprs: []expr.Expr{
		&nftexpr.Meta{Key: nftexpr.MetaKeyMARK, Register: 1},
		&nftexpr.Cmp{Op: nftexpr.CmpOpEq, Register: 1, Data: binary.NativeEndian.AppendUint32(nil, k)},
		&nftexpr.Payload{DestRegister: 1, Base: nftexpr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
		&nftexpr.Cmp{Op: nftexpr.CmpOpEq, Register: 1, Data: []byte{10, 0, byte(i >> 8), byte(i)}},
		&nftexpr.Counter{},
		accept(),
	}}
}

// ruleState returns k if rules are exactly state k (n rules, in order),
// or an explanation.
func ruleState(rules []*Rule, n int) (uint32, string) {
	if len(rules) != n {
		return 0, fmt.Sprintf("%d rules, every state has %d: %s", len(rules), n, describeStates(rules))
	}
	var k uint32
	for i, r := range rules {
		if len(r.Exprs) != 6 {
			return 0, fmt.Sprintf("rule %d has %d expressions", i, len(r.Exprs))
		}
		m, ok1 := r.Exprs[1].(*nftexpr.Cmp)
		a, ok2 := r.Exprs[3].(*nftexpr.Cmp)
		if !ok1 || !ok2 || len(m.Data) != 4 || len(a.Data) != 4 {
			return 0, fmt.Sprintf("rule %d is not a state rule", i)
		}
		rk := binary.NativeEndian.Uint32(m.Data)
		if i == 0 {
			k = rk
		}
		if rk != k || int(a.Data[2])<<8|int(a.Data[3]) != i {
			return 0, fmt.Sprintf("rule %d is rule %d of state %d, rule 0 is of state %d", i, int(a.Data[2])<<8|int(a.Data[3]), rk, k)
		}
	}
	return k, ""
}

// describeStates summarizes a list of state rules as runs of "state
// k: rules i..j", to show how a list that is no state was put together.
func describeStates(rules []*Rule) string {
	var runs []string
	startK, startI, lastI := -1, -1, -1
	flush := func() {
		if startK >= 0 {
			runs = append(runs, fmt.Sprintf("state %d: rules %d..%d", startK, startI, lastI))
		}
	}
	for _, r := range rules {
		k, i := -1, -1
		if len(r.Exprs) == 6 {
			if m, ok := r.Exprs[1].(*nftexpr.Cmp); ok && len(m.Data) == 4 {
				k = int(binary.NativeEndian.Uint32(m.Data))
			}
			if a, ok := r.Exprs[3].(*nftexpr.Cmp); ok && len(a.Data) == 4 {
				i = int(a.Data[2])<<8 | int(a.Data[3])
			}
		}
		if k != startK || i != lastI+1 {
			flush()
			startK, startI = k, i
		}
		lastI = i
	}
	flush()
	return strings.Join(runs, ", ")
}

// TestDumpRacingWriterIsConsistent creates NLM_F_DUMP_INTR for real: a
// writer replaces a large chain's content in a loop (each commit one
// whole state) while ListRules runs on another socket. Every list
// returned must be exactly one state; some dumps must have been
// interrupted and retried (otherwise the test proved nothing).
//
// It also catches what NLM_F_DUMP_INTR and the generation do not flag:
// the kernel resumes a rule dump by counting the chain's rules, inactive
// ones included (__nf_tables_dump_rules: cont_skip: (*idx)++), so when
// the deleted rules of an earlier commit are freed between two parts of
// the dump, the count shifts and whole datagrams of rules are skipped in
// one generation.
func TestDumpRacingWriterIsConsistent(t *testing.T) {
	c, ns := newTestConn(t)
	setupChain(t, c, FamilyIPv4, "t", "c")
	const n = 3000 // ~100 bytes a rule: a dump of many datagrams
	writer, err := Open(WithNetNS(ns.Name))
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	commitState := func(k uint32) error {
		tx := writer.Begin()
		tx.FlushChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "c"})
		for i := range n {
			tx.AppendRule(stateRule(k, i))
		}
		return tx.Commit()
	}
	if err := commitState(1); err != nil {
		t.Fatal(err)
	}
	var committed atomic.Uint32
	committed.Store(1)
	stop := make(chan struct{})
	werr := make(chan error, 1)
	go func() {
		for k := uint32(2); ; k++ {
			select {
			case <-stop:
				werr <- nil
				return
			default:
			}
			if err := commitState(k); err != nil {
				werr <- err
				return
			}
			committed.Store(k)
		}
	}()

	// Count the rule dumps requested: more than one per ListRules means
	// a dump was found inconsistent and started over.
	var requests atomic.Int32
	c.mu.Lock()
	c.t = &countingTransport{transport: c.t, dumps: &requests}
	c.mu.Unlock()
	var attempts, dumps int
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && (dumps < 30 || attempts == dumps) {
		low := committed.Load()
		before := requests.Load()
		out, err := c.ListRules(FamilyIPv4, "t", "c")
		attempts += int(requests.Load() - before)
		high := committed.Load() + 1 // a commit may be under way
		dumps++
		if err != nil {
			// Giving up after many interruptions is allowed, and must
			// say so; a half-read list never is.
			if !strings.Contains(err.Error(), "interrupted") {
				t.Fatalf("dump %d: %v", dumps, err)
			}
			continue
		}
		k, why := ruleState(out, n)
		if why != "" {
			t.Fatalf("dump %d returned a list that is no state: %s", dumps, why)
		}
		if k < low || k > high {
			t.Fatalf("dump %d returned state %d, states committed during it: %d..%d", dumps, k, low, high)
		}
	}
	close(stop)
	if err := <-werr; err != nil {
		t.Fatalf("writer: %v", err)
	}
	t.Logf("%d dumps, %d attempts (%d retried: found interrupted or inconsistent), writer committed %d states", dumps, attempts, attempts-dumps, committed.Load())
	if attempts == dumps {
		t.Fatalf("no dump was interrupted in %d tries: the race was not created", dumps)
	}
}

// countingTransport counts the rule dumps sent through it.
type countingTransport struct {
	transport
	dumps *atomic.Int32
}

func (ct *countingTransport) send(bufs [][]byte, timeout time.Duration) error {
	if len(bufs) > 0 && len(bufs[0]) >= nlmsgHdrLen {
		typ := binary.NativeEndian.Uint16(bufs[0][4:])
		flags := binary.NativeEndian.Uint16(bufs[0][6:])
		if typ == nftType(unix.NFT_MSG_GETRULE) && flags&unix.NLM_F_DUMP != 0 {
			ct.dumps.Add(1)
		}
	}
	return ct.transport.send(bufs, timeout)
}

// faultTransport wraps a real socket and fails chosen receives with
// ENOBUFS, as the kernel does when a socket's receive queue overran.
type faultTransport struct {
	transport
	recvs   *atomic.Int32 // receives so far, over every socket
	failAt  map[int32]bool
	dropped *atomic.Int32
}

func (f *faultTransport) recv(b []byte, wait bool, timeout time.Duration) (int, bool, error) {
	n := f.recvs.Add(1)
	if f.failAt[n] {
		// Read the datagram, then lose it: as on an overrun, what was
		// queued is gone.
		_, _, _ = f.transport.recv(b, wait, timeout)
		f.dropped.Add(1)
		return 0, false, unix.ENOBUFS
	}
	return f.transport.recv(b, wait, timeout)
}

// TestDumpOverrunIsRetried: a dump whose socket overruns (ENOBUFS in the
// middle) starts over on a fresh socket and returns the whole chain,
// never the part read before the loss.
func TestDumpOverrunIsRetried(t *testing.T) {
	c, _ := newTestConn(t)
	setupChain(t, c, FamilyIPv4, "t", "c")
	const n = 2000
	tx := c.Begin()
	for i := range n {
		tx.AppendRule(stateRule(7, i))
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	var recvs, dropped atomic.Int32
	// Fail the 3rd receive (mid-dump: rule datagrams came before it) and
	// one in the middle of the retry.
	fail := map[int32]bool{3: true, 7: true}
	c.mu.Lock()
	inner := c.newT
	c.t = &faultTransport{transport: c.t, recvs: &recvs, failAt: fail, dropped: &dropped}
	c.newT = func() (transport, error) {
		tr, err := inner()
		if err != nil {
			return nil, err
		}
		return &faultTransport{transport: tr, recvs: &recvs, failAt: fail, dropped: &dropped}, nil
	}
	c.mu.Unlock()
	rules, err := c.ListRules(FamilyIPv4, "t", "c")
	if err != nil {
		t.Fatalf("ListRules after an overrun: %v", err)
	}
	if dropped.Load() < 2 {
		t.Fatalf("%d receives failed, want 2: the overruns were not simulated", dropped.Load())
	}
	t.Logf("%d datagrams lost to simulated overruns in %d receives; the dump was retried", dropped.Load(), recvs.Load())
	if k, why := ruleState(rules, n); why != "" || k != 7 {
		t.Fatalf("after an overrun: %s (state %d)", why, k)
	}
	// The connection still works for everything else.
	if err := c.AppendRule(stateRule(7, n)); err != nil {
		t.Fatalf("append after an overrun: %v", err)
	}
}

// TestUnknownAttributesKeptRaw: a rule dumped by a (newer) kernel with an
// attribute we do not know inside a known expression, and an expression
// we do not know at all, is decoded with every expression present, the
// unfamiliar ones raw and byte-exact, never as a typed expression that
// would drop what it did not understand.
func TestUnknownAttributesKeptRaw(t *testing.T) {
	cmp, err := expr.Marshal(byte(FamilyIPv4), &nftexpr.Cmp{Op: nftexpr.CmpOpEq, Register: 1, Data: []byte{6}})
	if err != nil {
		t.Fatal(err)
	}
	// NFTA_EXPR_DATA is the nested attribute of type 2 in cmp's element;
	// append an unknown attribute (type 30) inside it.
	var withExtra nfnl.Encoder
	a := nlattr.NewDecoder(cmp)
	for a.Next() {
		if a.Type() == unix.NFTA_EXPR_DATA {
			n := withExtra.Nest(unix.NFTA_EXPR_DATA)
			withExtra.B = append(withExtra.B, a.Bytes()...)
			withExtra.Uint32(30, 0xdeadbeef)
			withExtra.EndNest(n)
		} else {
			withExtra.Bytes(a.Type(), a.Bytes())
		}
	}
	var unknown nfnl.Encoder
	unknown.String(unix.NFTA_EXPR_NAME, "frobnicate")
	n := unknown.Nest(unix.NFTA_EXPR_DATA)
	unknown.Uint32(1, 42)
	unknown.EndNest(n)

	var msg nfnl.Encoder
	s := msg.Begin(nftType(unix.NFT_MSG_NEWRULE), 0, 1, byte(FamilyIPv4), 0)
	msg.String(unix.NFTA_RULE_TABLE, "t")
	msg.String(unix.NFTA_RULE_CHAIN, "c")
	msg.Uint64(unix.NFTA_RULE_HANDLE, 9)
	l := msg.Nest(unix.NFTA_RULE_EXPRESSIONS)
	var meta []byte
	meta, _ = expr.AppendList(meta, byte(FamilyIPv4), []expr.Expr{&nftexpr.Meta{Key: nftexpr.MetaKeyL4PROTO, Register: 1}})
	msg.B = append(msg.B, meta...)
	msg.Bytes(unix.NLA_F_NESTED|unix.NFTA_LIST_ELEM, withExtra.B)
	msg.Bytes(unix.NLA_F_NESTED|unix.NFTA_LIST_ELEM, unknown.B)
	msg.EndNest(l)
	msg.Uint32(99, 1) // an unknown rule attribute
	msg.End(s)

	var rules []*Rule
	err = splitMessages(msg.B, func(m message) error {
		r, err := decodeRule(m.Data)
		if err != nil {
			return err
		}
		rules = append(rules, r)
		return nil
	})
	if err != nil || len(rules) != 1 {
		t.Fatalf("decode: %v (%d rules)", err, len(rules))
	}
	r := rules[0]
	if r.Handle != 9 || r.Table != "t" || r.Chain != "c" {
		t.Fatalf("rule header misread: %+v", r)
	}
	if len(r.Exprs) != 3 {
		t.Fatalf("%d expressions decoded, the kernel sent 3", len(r.Exprs))
	}
	if _, ok := r.Exprs[0].(*nftexpr.Meta); !ok {
		t.Errorf("expression 0 is %T, want a typed meta", r.Exprs[0])
	}
	raw, ok := r.Exprs[1].(*expr.Raw)
	if !ok || raw.Name != "cmp" {
		t.Fatalf("cmp with an unknown attribute decoded as %T %+v, want it raw", r.Exprs[1], r.Exprs[1])
	}
	if !strings.Contains(expr.Format(byte(FamilyIPv4), raw), "cmp eq reg 1 0x00000006") {
		t.Errorf("raw cmp prints as %q", expr.Format(byte(FamilyIPv4), raw))
	}
	if u, ok := r.Exprs[2].(*expr.Raw); !ok || u.Name != "frobnicate" {
		t.Fatalf("unknown expression decoded as %T %+v", r.Exprs[2], r.Exprs[2])
	}
	// Written back, the bytes are the kernel's.
	back, err := expr.AppendList(nil, byte(FamilyIPv4), r.Exprs)
	if err != nil {
		t.Fatal(err)
	}
	if want := append(append(meta, mustAttr(withExtra.B)...), mustAttr(unknown.B)...); string(back) != string(want) {
		t.Fatalf("re-encoded expressions differ from what the kernel sent:\n got %x\nwant %x", back, want)
	}
}

func mustAttr(payload []byte) []byte {
	var e nfnl.Encoder
	e.Bytes(unix.NLA_F_NESTED|unix.NFTA_LIST_ELEM, payload)
	return e.B
}

// TestPermissionDenied re-runs this test binary, inside a throwaway
// namespace, as an unprivileged user with no capabilities: every call
// fails promptly with ErrPermission, saying CAP_NET_ADMIN is needed.
func TestPermissionDenied(t *testing.T) {
	needTool(t, "setpriv")
	_, ns := newTestConn(t)
	exe := copyExecutable(t)
	cmd := exec.Command("ip", "netns", "exec", ns.Name,
		"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
		exe, "-test.run=^TestHelperEPERM$", "-test.v")
	cmd.Env = append(os.Environ(), "XTNL_EPERM_HELPER=1")
	start := time.Now()
	done := make(chan struct{})
	var out []byte
	var err error
	go func() {
		out, err = cmd.CombinedOutput()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("unprivileged run hung for 30s:\n%s", out)
	}
	if err != nil || !strings.Contains(string(out), "--- PASS: TestHelperEPERM") {
		t.Fatalf("unprivileged run failed (%v) after %v:\n%s", err, time.Since(start), out)
	}
	t.Logf("unprivileged run: %v\n%s", time.Since(start), out)
}

// copyExecutable copies the test binary where user nobody can run it (go
// test builds it in a directory only root can enter).
func copyExecutable(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "xtnl-eperm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "xtnl.test")
	if err := os.WriteFile(exe, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return exe
}

// TestHelperEPERM is TestPermissionDenied's child; it does nothing unless
// run by it.
func TestHelperEPERM(t *testing.T) {
	if os.Getenv("XTNL_EPERM_HELPER") == "" {
		return
	}
	if os.Geteuid() == 0 {
		t.Fatal("helper runs as root: the privileges were not dropped")
	}
	c, err := Open()
	if err != nil {
		// Opening the socket needs no capability; failing here is a
		// bug, but must still be the typed error.
		t.Fatalf("Open: %v", err)
	}
	defer c.Close()
	// The big transaction is built before the clock starts: what is timed
	// is how soon the kernel's refusal comes back (no retrying), not how
	// long 5000 rules take to encode under -race on a busy machine.
	big := c.Begin()
	big.AddTable(&Table{Family: FamilyIPv4, Name: "t"})
	big.AddChain(&Chain{Family: FamilyIPv4, Table: "t", Name: "c"})
	for i := range 5000 {
		big.AppendRule(benchRule(FamilyIPv4, "t", "c", i))
	}
	calls := map[string]func() error{
		"add table":   func() error { return c.AddTable(&Table{Family: FamilyIPv4, Name: "t"}) },
		"list tables": func() error { _, err := c.ListTables(0); return err },
		"generation":  func() error { _, err := c.Generation(); return err },
		"big tx":      big.Commit,
	}
	for name, call := range calls {
		start := time.Now()
		err := call()
		d := time.Since(start)
		if err == nil {
			t.Errorf("%s: succeeded without CAP_NET_ADMIN", name)
			continue
		}
		if !errors.Is(err, ErrPermission) {
			t.Errorf("%s: %v does not match ErrPermission", name, err)
		}
		if !strings.Contains(err.Error(), "CAP_NET_ADMIN") {
			t.Errorf("%s: message %q does not say CAP_NET_ADMIN is needed", name, err.Error())
		}
		if d > 2*time.Second {
			t.Errorf("%s: took %v to fail", name, d)
		}
		t.Logf("%s: %v (%v)", name, err, d)
	}
}
