package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"

	"github.com/xtnl/xtnl/compat"
	"golang.org/x/sys/unix"
)

// The kube-proxy workloads (kubeproxy.go has the rules), each peer's way.
// Every one but the full sync runs on table nat preloaded with the full
// sync of size services (kpPreload, untimed).
const (
	workKPFull   = "kp-full"   // the full sync into an empty namespace
	workKPResync = "kp-resync" // the partial re-sync of 1% of the services
	workKPSave   = "kp-save"   // iptables-save of table nat
	workKPList   = "kp-list"   // iptables -t nat -nvL
	workKPExists = "kp-exists" // Exists of a rule the process has just appended

	workKPPreload = "kp-preload" // not measured: loads the full sync (runOnce's preload)

	// The floor's two ways of dumping table nat (floorKPDump), reported
	// beside its time.
	kpDumpWhole  = "dump.whole"
	kpDumpChains = "dump.chains"
)

// kpWorks are the kube-proxy workloads, in the order of their table;
// `-only kubeproxy` selects them all.
var kpWorks = []string{workKPFull, workKPResync, workKPSave, workKPList, workKPExists}

func isKPWork(work string) bool {
	for _, w := range kpWorks {
		if w == work {
			return true
		}
	}
	return false
}

// iptablesNftPeer is the iptables-nft binaries that read a table back,
// exec'd and timed from exec to exit: `iptables-nft-save -t nat` and
// `iptables-nft -t nat -nvL`.
var iptablesNftPeer = &peer{name: "iptables-nft", work: map[string]workFunc{
	workKPSave: execReadNat(workKPSave),
	workKPList: execReadNat(workKPList),
}}

func init() {
	xtnlPeer.work[workKPFull] = xtnlKPRestore(true)
	xtnlPeer.work[workKPResync] = xtnlKPRestore(false)
	xtnlPeer.work[workKPSave] = xtnlKPRead(workKPSave)
	xtnlPeer.work[workKPList] = xtnlKPRead(workKPList)
	xtnlPeer.work[workKPExists] = kpExists(openXtnl)
	goiptablesPeer.work[workKPExists] = kpExists(openGoiptables)
	iptablesRestorePeer.work[workKPFull] = restoreKP(true)
	iptablesRestorePeer.work[workKPResync] = restoreKP(false)
	// iptables-nft-restore takes minutes on kube-proxy's full sync of
	// 10k services (40k chains): past a minute, the bench skips it.
	iptablesRestorePeer.maxSize = map[string]int{workKPFull: 1_000}
	iptablesRestorePeer.skipNote = "iptables-nft-restore is not run on the full sync of 10k services: one run took 8 min 38 s (2 min 42 s of user CPU) on this 2-core machine on 2026-12-07, under other load, where the bench allows 60 s; what it loaded was the same as xtnl's, line for line, in iptables-nft-save."
	floorPeer.work[workKPFull] = floorKPRestore(true)
	floorPeer.work[workKPResync] = floorKPRestore(false)
	floorPeer.work[workKPSave] = floorKPDump
	floorPeer.work[workKPList] = floorKPDump
}

// xtnlKPRestore restores kube-proxy's sync as kube-proxy would through
// compat: NoFlush and RestoreCounters, the input in memory.
func xtnlKPRestore(full bool) workFunc {
	return func(size int) (map[string]time.Duration, error) {
		ipt, err := newXtnl()
		if err != nil {
			return nil, err
		}
		text := kpBuild(size, full).text()
		return one(timed(func() error {
			return ipt.Restore(bytes.NewReader(text), compat.NoFlush(), compat.RestoreCounters())
		}))
	}
}

// restoreKP is kube-proxy's own way: iptables-nft-restore with its flags.
func restoreKP(full bool) workFunc {
	return func(size int) (map[string]time.Duration, error) {
		text := kpBuild(size, full).text()
		return one(timed(func() error { return runStdin(text, "iptables-nft-restore", kpRestoreArgs...) }))
	}
}

// floorKPRestore is the least the kernel does for the sync: the
// operations compat sends for it (table, chains added or flushed, rules,
// chains deleted), encoded before the clock starts, in one batch.
func floorKPRestore(full bool) workFunc {
	return func(size int) (map[string]time.Duration, error) {
		c, err := dialRaw()
		if err != nil {
			return nil, err
		}
		defer c.close()
		b, err := kpBatch(c, size, full)
		if err != nil {
			return nil, err
		}
		return one(timed(func() error { return c.commit(b) }))
	}
}

// kpNatBuiltins are table nat's built-in chains as iptables-nft makes
// them.
var kpNatBuiltins = map[string]struct {
	hook int
	prio int32
}{
	"PREROUTING":  {unix.NF_INET_PRE_ROUTING, -100},
	"INPUT":       {unix.NF_INET_LOCAL_IN, 100},
	"OUTPUT":      {unix.NF_INET_LOCAL_OUT, -100},
	"POSTROUTING": {unix.NF_INET_POST_ROUTING, 100},
}

// kpBatch encodes the sync of size services (full: into an empty
// namespace; else the re-sync of a namespace holding the full sync) as one
// batch.
func kpBatch(c *rawConn, size int, full bool) (*batch, error) {
	k := kpBuild(size, full)
	existing := map[string]bool{}
	if !full {
		for _, ch := range kpBuild(size, true).chains {
			existing[ch] = true
		}
	}
	b := c.newBatch()
	b.addTable(kpTable)
	for _, ch := range k.builtins {
		bc := kpNatBuiltins[ch]
		b.addBaseChain(kpTable, ch, "nat", bc.hook, bc.prio)
	}
	for _, ch := range k.chains {
		if existing[ch] {
			b.flushChain(kpTable, ch)
		} else {
			b.addBaseChain(kpTable, ch, "", -1, 0)
		}
	}
	for _, op := range k.ops {
		if op.del {
			b.delChain(kpTable, op.chain)
			continue
		}
		if err := b.appendArgs(kpTable, op.chain, op.args); err != nil {
			return nil, err
		}
	}
	b.finish(c)
	return b, c.fit(len(b.b))
}

// kpPreload loads the full sync of size services through c (untimed, in
// the parent: the namespace a Save, List, Exists or re-sync run starts
// from).
func kpPreload(c *rawConn, size int) error {
	b, err := kpBatch(c, size, true)
	if err != nil {
		return err
	}
	return c.commit(b)
}

// xtnlKPRead is compat's Save of table nat, or its ListTable (-nvL), from
// a fresh process, into a buffer; the rules it wrote are counted after.
func xtnlKPRead(work string) workFunc {
	return func(size int) (map[string]time.Duration, error) {
		ipt, err := newXtnl()
		if err != nil {
			return nil, err
		}
		var out bytes.Buffer
		d, err := timed(func() error {
			if work == workKPSave {
				return ipt.Save(&out, kpTable)
			}
			return ipt.ListTable(&out, kpTable, "", compat.ListOptions{Numeric: true, Verbose: true})
		})
		if err != nil {
			return nil, err
		}
		return one(d, kpCheckOutput(work, out.Bytes(), size))
	}
}

// execReadNat runs iptables-nft-save -t nat or iptables-nft -t nat -nvL.
func execReadNat(work string) workFunc {
	return func(size int) (map[string]time.Duration, error) {
		name, args := "iptables-nft-save", []string{"-t", kpTable}
		if work == workKPList {
			name, args = "iptables-nft", []string{"-t", kpTable, "-nvL"}
		}
		var out, errb bytes.Buffer
		d, err := timed(func() error {
			cmd := exec.Command(name, args...)
			cmd.Stdout, cmd.Stderr = &out, &errb
			return cmd.Run()
		})
		if err != nil {
			return nil, fmt.Errorf("%s %v: %w: %s", name, args, err, bytes.TrimSpace(errb.Bytes()))
		}
		return one(d, kpCheckOutput(work, out.Bytes(), size))
	}
}

// kpCheckOutput checks that a Save or a listing of table nat holds every
// rule of the loaded sync.
func kpCheckOutput(work string, out []byte, size int) error {
	n := 0
	for line := range strings.SplitSeq(string(out), "\n") {
		switch {
		case work == workKPSave && strings.HasPrefix(line, "-A "):
			n++
		case work == workKPList && line != "" && !strings.HasPrefix(line, "Chain ") && !strings.HasPrefix(strings.TrimSpace(line), "pkts "):
			n++
		}
	}
	if want := kpRules(size); n != want {
		return fmt.Errorf("%s wrote %d rules, want %d", work, n, want)
	}
	return nil
}

// floorKPDump is the floor of Save and ListTable: every rule of table nat
// dumped on a bare socket, every datagram read, nothing decoded. One dump
// of the whole table costs this kernel more than the table's chains dumped
// one by one (every datagram of a dump walks the table from its start
// again, it seems: at 10k services the whole dump took seconds), so the
// floor times both ways in the same run and counts the faster; the two
// are reported beside it (kpDumpWhole, kpDumpChains).
func floorKPDump(size int) (map[string]time.Duration, error) {
	c, err := dialRaw()
	if err != nil {
		return nil, err
	}
	defer c.close()
	want := kpRules(size)
	var whole, chains int
	dWhole, err := timed(func() error {
		var err error
		whole, err = c.dumpRules(kpTable, "")
		return err
	})
	if err != nil {
		return nil, err
	}
	dChains, err := timed(func() error {
		names, err := c.chainNames(kpTable)
		if err != nil {
			return err
		}
		for _, name := range names {
			n, err := c.dumpRules(kpTable, name)
			if err != nil {
				return err
			}
			chains += n
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if whole != want || chains != want {
		return nil, fmt.Errorf("dumps of table nat: %d rules whole, %d chain by chain, want %d", whole, chains, want)
	}
	return map[string]time.Duration{varSingleton: min(dWhole, dChains), kpDumpWhole: dWhole, kpDumpChains: dChains}, nil
}

// kpExists appends a rule of kube-proxy's shape to KUBE-SERVICES, then
// times Exists of it on the same client: whether a client's own write
// costs it its view of the table.
func kpExists(open func() (goIptablesAPI, error)) workFunc {
	return func(size int) (map[string]time.Duration, error) {
		ipt, err := open()
		if err != nil {
			return nil, err
		}
		args := kpExistsArgs()
		if err := ipt.Append(kpTable, kpServices, args...); err != nil {
			return nil, fmt.Errorf("append: %w", err)
		}
		var found bool
		d, err := timed(func() error {
			var err error
			found, err = ipt.Exists(kpTable, kpServices, args...)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("exists: %w", err)
		}
		if !found {
			return nil, errors.New("exists: the rule just appended was not found")
		}
		return one(d, nil)
	}
}

// kpCheck checks table nat after a kube-proxy run, from the kernel: it
// holds every rule of the sync (plus the Exists workload's own), and after
// a re-sync a changed service's new endpoint chain holds its two rules and
// its old one is gone.
func kpCheck(c *rawConn, work string, size int) error {
	want := kpRules(size)
	if work == workKPExists {
		want++
	}
	got, err := c.dumpRules(kpTable, "")
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("table nat holds %d rules, want %d", got, want)
	}
	if work != workKPResync {
		return nil
	}
	old, cur := kpServiceAt(size, 0, 0), kpServiceAt(size, 0, 1)
	if n, err := c.dumpRules(kpTable, cur.sepChains[0]); err != nil || n != 2 {
		return fmt.Errorf("after the re-sync, new chain %s: %d rules, %v; want 2", cur.sepChains[0], n, err)
	}
	if ok, err := c.chainExists(kpTable, old.sepChains[0]); ok || err != nil {
		return fmt.Errorf("after the re-sync, stale chain %s: exists %v, %v; want it gone", old.sepChains[0], ok, err)
	}
	if ok, err := c.chainExists(kpTable, cur.sepChains[0]); !ok || err != nil {
		return fmt.Errorf("after the re-sync, chain %s: exists %v, %v; want it there", cur.sepChains[0], ok, err)
	}
	return nil
}

// printKPNotes is the kube-proxy table's footnote: who runs what, who
// does not, and who was skipped.
func printKPNotes(w io.Writer, skips []string) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "kube-proxy rows: table nat as kube-proxy (iptables mode) writes it for S services of 3 endpoints each (bench/kubeproxy.go). "+
		"xtnl: compat `Restore(r, NoFlush(), RestoreCounters())` of the sync held in a `bytes.Reader`, `Save(w, \"nat\")`, `ListTable(w, \"nat\", \"\", ListOptions{Numeric: true, Verbose: true})`, and `Append` then `Exists` (only Exists timed); "+
		"iptables-nft-restore: `iptables-nft-restore -w 5 -W 100000 --noflush --counters`, kube-proxy's command; "+
		"iptables-nft: `iptables-nft-save -t nat` and `iptables-nft -t nat -nvL`, timed from exec to exit; "+
		"go-iptables: `Append`, then `Exists` (`iptables -C`) timed; "+
		"floor: the sync's operations as compat encodes them, in one pre-encoded batch, and for Save and ListTable every rule of table nat dumped, not decoded. "+
		"nft -f and knftables are not run: the ruleset is iptables' own (xt matches and targets: statistic, addrtype, comment, mark, MARK, MASQUERADE, DNAT), which neither writes; go-iptables has no restore, save or table listing.")
	for _, s := range skips {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "\"-\": "+s)
	}
}

// printKPRSS writes the peak RSS of the full sync's and the Save's runs:
// of the child process for xtnl and the floor (its VmHWM), of the largest
// program it exec'd for the others (getrusage RUSAGE_CHILDREN). Linux
// starts an exec'd program's ru_maxrss at the peak of the process that
// started it (Go starts programs with vfork), so where the program's
// figure is not above the child's own, it is only an upper bound ("≤").
func printKPRSS(w io.Writer, jobs []job, all []*peer, childRSS samples) {
	var rows []string
	for _, j := range jobs {
		if j.work != workKPFull && j.work != workKPSave {
			continue
		}
		for _, size := range j.sizes {
			rows = append(rows, rowTitle(j.work, varSingleton, size))
		}
	}
	key := func(p *peer) string {
		if p == xtnlPeer || p == floorPeer {
			return p.name + "/" + rssSelf
		}
		return p.name + "/" + rssChildren
	}
	var cols []*peer
	for _, p := range all {
		for _, row := range rows {
			if len(childRSS[row][key(p)]) > 0 {
				cols = append(cols, p)
				break
			}
		}
	}
	if len(cols) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Peak RSS (median of the runs): of the child process for xtnl and the floor (its VmHWM: the input and the set-up included), of the program the child ran for the others (getrusage RUSAGE_CHILDREN; \"≤\" where that is not above the child's own peak, from which Linux starts it):")
	fmt.Fprintln(w)
	fmt.Fprint(w, "| work |")
	for _, p := range cols {
		fmt.Fprintf(w, " %s |", p.name)
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, "|---|")
	for range cols {
		fmt.Fprint(w, "---:|")
	}
	fmt.Fprintln(w)
	for _, row := range rows {
		fmt.Fprintf(w, "| %s |", row)
		for _, p := range cols {
			if xs := childRSS[row][key(p)]; len(xs) > 0 {
				bound := ""
				if own := childRSS[row][p.name+"/"+rssSelf]; key(p) == p.name+"/"+rssChildren && len(own) > 0 && median(xs) <= median(own) {
					bound = "≤ "
				}
				fmt.Fprintf(w, " %s%.1f MiB |", bound, median(xs)/1024)
			} else {
				fmt.Fprint(w, " |")
			}
		}
		fmt.Fprintln(w)
	}
}

// printKPDumps writes the floor's two ways of dumping table nat, for the
// rows whose floor is the faster of them.
func printKPDumps(w io.Writer, rows []string, extra samples) {
	var parts []string
	for _, row := range rows {
		whole, chains := extra[row][floorPeer.name+"/"+kpDumpWhole], extra[row][floorPeer.name+"/"+kpDumpChains]
		if len(whole) > 0 && len(chains) > 0 {
			parts = append(parts, fmt.Sprintf("%s: %s whole, %s chain by chain", row, fmtDur(median(whole)), fmtDur(median(chains))))
		}
	}
	if len(parts) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "The floor of Save and ListTable is the faster of one dump of the whole table and a dump of each of its chains (medians): "+strings.Join(parts, "; ")+".")
	}
}
