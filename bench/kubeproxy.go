package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strconv"
	"strings"
)

// The kube-proxy workloads' rules: table nat as kube-proxy's iptables mode
// writes it for S ClusterIP services (TCP, one port each) of E endpoints
// each, the way pkg/proxy/iptables/proxier.go (Kubernetes 1.28,
// syncProxyRules) writes its restore input, with the flags kube-proxy
// runs with by default (masquerade bit 14, a cluster CIDR so that
// off-cluster traffic to a ClusterIP is masqueraded, localhost
// NodePorts, no masquerade-all, --random-fully available). Written from
// the shapes of that source, not copied:
//
//   - chain lines `:NAME - [0:0]` for KUBE-SERVICES, KUBE-NODEPORTS,
//     KUBE-POSTROUTING, KUBE-MARK-MASQ and, for every service written,
//     its KUBE-SVC-<hash> and one KUBE-SEP-<hash> per endpoint (hash: the
//     first 16 characters of base32(sha256(...)), upper-case letters and
//     digits 2-7);
//   - KUBE-POSTROUTING: `-m mark ! --mark 0x4000/0x4000 -j RETURN`,
//     `-j MARK --xor-mark 0x4000`, `-m comment --comment "kubernetes
//     service traffic requiring SNAT" -j MASQUERADE --random-fully`;
//     KUBE-MARK-MASQ: `-j MARK --or-mark 0x4000`;
//   - per service, KUBE-SERVICES: `-m comment --comment "NS/SVC:PORT
//     cluster IP" -m tcp -p tcp -d CLUSTERIP --dport P -j KUBE-SVC-…`;
//     KUBE-SVC-…: the same matches `! -s CLUSTERCIDR -j KUBE-MARK-MASQ`,
//     then one `-m comment --comment "NS/SVC:PORT -> EP:8080" -m
//     statistic --mode random --probability 1/(E-k) -j KUBE-SEP-…` per
//     endpoint k (the last without statistic); KUBE-SEP-…: `-m comment
//     --comment NS/SVC:PORT -s EP -j KUBE-MARK-MASQ` and `-m comment
//     --comment NS/SVC:PORT -m tcp -p tcp -j DNAT --to-destination
//     EP:8080`;
//   - last in KUBE-SERVICES: `-m comment --comment "kubernetes service
//     nodeports; NOTE: this must be the last rule in this chain" -m
//     addrtype --dst-type LOCAL -j KUBE-NODEPORTS` (KUBE-NODEPORTS stays
//     empty: no service here has a NodePort).
//
// Like kube-proxy, above 1000 endpoints in all ("large cluster mode") the
// per-endpoint rules go without their service comment: the rows at 1k
// and 10k services (3,000 and 30,000 endpoints) have none, the test's at
// 50 services has them.
//
// kube-proxy adds the jumps from the built-in chains (PREROUTING and
// OUTPUT to KUBE-SERVICES, POSTROUTING to KUBE-POSTROUTING) with
// `iptables -I` before its first restore; here the full sync declares the
// built-in chains and appends those jumps in the same restore, so that one
// restore loads the whole table into an empty namespace.
//
// kube-proxy restores with `iptables-restore -w 5 -W 100000 --noflush
// --counters` (kpRestoreArgs). Its filter table (KUBE-SERVICES,
// KUBE-FORWARD, ... in filter, a few rules whatever S) is left out: these
// workloads are table nat, where the size is.

const (
	kpTable        = "nat"
	kpEndpoints    = 3    // E
	kpEndpointPort = 8080 // every endpoint's target port
	kpMasqMark     = "0x4000"
	kpClusterCIDR  = "10.244.0.0/16"
	// kpLargeCluster is kube-proxy's largeClusterEndpointsThreshold:
	// above it, per-endpoint rules lose their comment.
	kpLargeCluster = 1000
	// kpChangedEvery: a re-sync changes the endpoints of every
	// kpChangedEvery-th service (1%).
	kpChangedEvery = 100

	kpServices  = "KUBE-SERVICES"
	kpNodePorts = "KUBE-NODEPORTS"
	kpPostrt    = "KUBE-POSTROUTING"
	kpMarkMasq  = "KUBE-MARK-MASQ"
)

// kpRestoreArgs are kube-proxy's iptables-restore flags.
var kpRestoreArgs = []string{"-w", "5", "-W", "100000", "--noflush", "--counters"}

// kpServicePorts are the services' ports, in turn.
var kpServicePorts = []int{80, 443, 8080, 53, 9090, 6443, 3306, 5432}

// kpService is service i: its name as kube-proxy prints it, its cluster
// IP and port, its chain, and its endpoints in generation gen (a re-sync
// moves a changed service's endpoints to generation 1).
type kpService struct {
	name      string // NS/SVC:PORTNAME
	clusterIP string
	port      int
	svcChain  string
	endpoints []string // IP:PORT
	sepChains []string
}

func kpHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return base32.StdEncoding.EncodeToString(h[:])[:16]
}

func ipv4(a, b, c, d int) string { return fmt.Sprintf("%d.%d.%d.%d", a, b, c, d) }

// kpServiceAt is service i of s, its endpoints those of generation gen.
func kpServiceAt(s, i, gen int) kpService {
	name := fmt.Sprintf("bench-ns%d/svc-%d:http", i/100, i)
	ip := 10 + i // 10.96.0.10, ...
	sv := kpService{
		name:      name,
		clusterIP: ipv4(10, 96+ip>>16, ip>>8&255, ip&255),
		port:      kpServicePorts[i%len(kpServicePorts)],
		svcChain:  "KUBE-SVC-" + kpHash(name+"tcp"),
	}
	for k := range kpEndpoints {
		j := i*kpEndpoints + k
		if gen > 0 {
			j += s * kpEndpoints * gen
		}
		j += 2 // 10.244.0.2, ...
		ep := ipv4(10, 244+j>>16, j>>8&255, j&255) + ":" + strconv.Itoa(kpEndpointPort)
		sv.endpoints = append(sv.endpoints, ep)
		sv.sepChains = append(sv.sepChains, "KUBE-SEP-"+kpHash(name+"tcp"+ep))
	}
	return sv
}

// kpChanged reports whether a re-sync changes service i.
func kpChanged(i int) bool { return i%kpChangedEvery == 0 }

// kpOp is one line of a restore's body: a rule appended to chain, or
// (del) the chain deleted with -X.
type kpOp struct {
	chain string
	args  []string // unquoted
	del   bool
}

// kpSync is one restore input, structured: the chains it declares (the
// built-in ones with policy ACCEPT), then its lines, in kube-proxy's
// order.
type kpSync struct {
	builtins []string
	chains   []string
	ops      []kpOp
}

func (k *kpSync) rule(chain string, args ...string) {
	k.ops = append(k.ops, kpOp{chain: chain, args: args})
}

// probability is kube-proxy's: 1/n printed with 10 decimals.
func kpProbability(n int) string { return fmt.Sprintf("%0.10f", 1.0/float64(n)) }

// kpBuild writes the sync of s services: full (every service; from an
// empty table, with the built-in chains and their jumps) or partial (the
// services kpChanged picks move to generation-1 endpoints: their chains
// rewritten, the old endpoint chains declared and deleted).
func kpBuild(s int, full bool) *kpSync {
	k := &kpSync{}
	if full {
		k.builtins = []string{"PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"}
	}
	k.chains = []string{kpServices, kpNodePorts, kpPostrt, kpMarkMasq}
	if full {
		k.rule("PREROUTING", "-m", "comment", "--comment", "kubernetes service portals", "-j", kpServices)
		k.rule("OUTPUT", "-m", "comment", "--comment", "kubernetes service portals", "-j", kpServices)
		k.rule("POSTROUTING", "-m", "comment", "--comment", "kubernetes postrouting rules", "-j", kpPostrt)
	}
	k.rule(kpPostrt, "-m", "mark", "!", "--mark", kpMasqMark+"/"+kpMasqMark, "-j", "RETURN")
	k.rule(kpPostrt, "-j", "MARK", "--xor-mark", kpMasqMark)
	k.rule(kpPostrt, "-m", "comment", "--comment", "kubernetes service traffic requiring SNAT", "-j", "MASQUERADE", "--random-fully")
	k.rule(kpMarkMasq, "-j", "MARK", "--or-mark", kpMasqMark)
	large := s*kpEndpoints > kpLargeCluster
	var stale []string
	for i := range s {
		gen := 0
		write := full
		if !full && kpChanged(i) {
			gen, write = 1, true
			stale = append(stale, kpServiceAt(s, i, 0).sepChains...)
		}
		sv := kpServiceAt(s, i, gen)
		port := strconv.Itoa(sv.port)
		k.rule(kpServices, "-m", "comment", "--comment", sv.name+" cluster IP",
			"-m", "tcp", "-p", "tcp", "-d", sv.clusterIP, "--dport", port, "-j", sv.svcChain)
		if !write {
			continue
		}
		k.chains = append(k.chains, sv.svcChain)
		k.rule(sv.svcChain, "-m", "comment", "--comment", sv.name+" cluster IP",
			"-m", "tcp", "-p", "tcp", "-d", sv.clusterIP, "--dport", port,
			"!", "-s", kpClusterCIDR, "-j", kpMarkMasq)
		comment := func(c string) []string {
			if large {
				return nil
			}
			return []string{"-m", "comment", "--comment", c}
		}
		for e, ep := range sv.endpoints {
			args := comment(sv.name + " -> " + ep)
			if e < len(sv.endpoints)-1 {
				args = append(args, "-m", "statistic", "--mode", "random", "--probability", kpProbability(len(sv.endpoints)-e))
			}
			k.rule(sv.svcChain, append(args, "-j", sv.sepChains[e])...)
		}
		for e, ep := range sv.endpoints {
			sep := sv.sepChains[e]
			k.chains = append(k.chains, sep)
			k.rule(sep, append(comment(sv.name), "-s", strings.Split(ep, ":")[0], "-j", kpMarkMasq)...)
			k.rule(sep, append(comment(sv.name), "-m", "tcp", "-p", "tcp", "-j", "DNAT", "--to-destination", ep)...)
		}
	}
	// Stale chains: declared (which flushes them), then deleted.
	for _, c := range stale {
		k.chains = append(k.chains, c)
		k.ops = append(k.ops, kpOp{chain: c, del: true})
	}
	k.rule(kpServices, "-m", "comment", "--comment", "kubernetes service nodeports; NOTE: this must be the last rule in this chain",
		"-m", "addrtype", "--dst-type", "LOCAL", "-j", kpNodePorts)
	return k
}

// kpRules is how many rules table nat holds after a sync of s services
// (full or partial: a partial one changes endpoints, not their number).
func kpRules(s int) int {
	return 3 + 3 + 1 + 1 + s*(1+1+kpEndpoints+2*kpEndpoints)
}

// text is the restore input, as kube-proxy writes it: `*nat`, the chain
// lines, the rules, COMMIT; an argument with a space in double quotes.
func (k *kpSync) text() []byte {
	var b bytes.Buffer
	b.Grow(160 * len(k.ops))
	b.WriteString("*nat\n")
	for _, c := range k.builtins {
		b.WriteString(":" + c + " ACCEPT [0:0]\n")
	}
	for _, c := range k.chains {
		b.WriteString(":" + c + " - [0:0]\n")
	}
	for _, op := range k.ops {
		if op.del {
			b.WriteString("-X " + op.chain + "\n")
			continue
		}
		b.WriteString("-A " + op.chain)
		for _, a := range op.args {
			b.WriteByte(' ')
			if strings.ContainsRune(a, ' ') {
				b.WriteString(`"` + a + `"`)
			} else {
				b.WriteString(a)
			}
		}
		b.WriteByte('\n')
	}
	b.WriteString("COMMIT\n")
	return b.Bytes()
}

// kpExistsArgs is the rule the Exists workload appends to KUBE-SERVICES
// and then asks for: a service of its own, in kube-proxy's shape.
func kpExistsArgs() []string {
	return []string{"-m", "comment", "--comment", "bench-extra/svc-extra:http cluster IP",
		"-m", "tcp", "-p", "tcp", "-d", "10.97.255.250", "--dport", "80", "-j", kpMarkMasq}
}
