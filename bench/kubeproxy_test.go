package main

import (
	"crypto/sha256"
	"encoding/base32"
	"regexp"
	"strings"
	"testing"

	"github.com/xtnl/xtnl/netnstest"
)

// TestKubeProxyShapes: the generator writes kube-proxy's restore input, as
// written out by hand here for one service (hashes aside, computed the
// way kube-proxy names its chains).
func TestKubeProxyShapes(t *testing.T) {
	hash := func(s string) string {
		h := sha256.Sum256([]byte(s))
		return base32.StdEncoding.EncodeToString(h[:])[:16]
	}
	name := "bench-ns0/svc-0:http"
	svc := "KUBE-SVC-" + hash(name+"tcp")
	var sep [3]string
	for k := range sep {
		sep[k] = "KUBE-SEP-" + hash(name+"tcp10.244.0."+string(rune('2'+k))+":8080")
	}
	want := `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-MARK-MASQ - [0:0]
:SVC - [0:0]
:SEP0 - [0:0]
:SEP1 - [0:0]
:SEP2 - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-SERVICES -m comment --comment "bench-ns0/svc-0:http cluster IP" -m tcp -p tcp -d 10.96.0.10 --dport 80 -j SVC
-A SVC -m comment --comment "bench-ns0/svc-0:http cluster IP" -m tcp -p tcp -d 10.96.0.10 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ
-A SVC -m comment --comment "bench-ns0/svc-0:http -> 10.244.0.2:8080" -m statistic --mode random --probability 0.3333333333 -j SEP0
-A SVC -m comment --comment "bench-ns0/svc-0:http -> 10.244.0.3:8080" -m statistic --mode random --probability 0.5000000000 -j SEP1
-A SVC -m comment --comment "bench-ns0/svc-0:http -> 10.244.0.4:8080" -j SEP2
-A SEP0 -m comment --comment bench-ns0/svc-0:http -s 10.244.0.2 -j KUBE-MARK-MASQ
-A SEP0 -m comment --comment bench-ns0/svc-0:http -m tcp -p tcp -j DNAT --to-destination 10.244.0.2:8080
-A SEP1 -m comment --comment bench-ns0/svc-0:http -s 10.244.0.3 -j KUBE-MARK-MASQ
-A SEP1 -m comment --comment bench-ns0/svc-0:http -m tcp -p tcp -j DNAT --to-destination 10.244.0.3:8080
-A SEP2 -m comment --comment bench-ns0/svc-0:http -s 10.244.0.4 -j KUBE-MARK-MASQ
-A SEP2 -m comment --comment bench-ns0/svc-0:http -m tcp -p tcp -j DNAT --to-destination 10.244.0.4:8080
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
COMMIT
`
	want = strings.NewReplacer("SVC ", svc+" ", "SVC\n", svc+"\n", "SEP0", sep[0], "SEP1", sep[1], "SEP2", sep[2]).Replace(want)
	if got := string(kpBuild(1, true).text()); got != want {
		t.Errorf("full sync of 1 service:\n%s\nwant:\n%s", got, want)
	}
	if n := strings.Count(want, "\n-A "); n != kpRules(1) {
		t.Errorf("kpRules(1) = %d, the text has %d rules", kpRules(1), n)
	}

	// Chain names: 16 characters of base32 after the prefix (28 at most).
	chain := regexp.MustCompile(`^KUBE-(SVC|SEP)-[A-Z2-7]{16}$`)
	for _, c := range kpBuild(1000, true).chains[4:] {
		if !chain.MatchString(c) {
			t.Fatalf("chain name %q", c)
		}
	}
	// Large cluster mode: past 1000 endpoints, no per-endpoint comments.
	if text := string(kpBuild(334, true).text()); strings.Contains(text, " -> 10.244.") || strings.Contains(text, "--comment bench-") {
		t.Error("334 services (1002 endpoints): per-endpoint comments written")
	}
	// The re-sync: KUBE-SERVICES in full, 1% of the services rewritten,
	// their old endpoint chains declared and deleted.
	re := string(kpBuild(1000, false).text())
	for _, c := range []struct {
		what string
		n    int
	}{{"\n-A KUBE-SERVICES ", 1001}, {"\n:KUBE-SVC-", 10}, {"\n:KUBE-SEP-", 60}, {"\n-X KUBE-SEP-", 30}, {"\n-A KUBE-SEP-", 60}, {"\n:PREROUTING", 0}} {
		if got := strings.Count(re, c.what); got != c.n {
			t.Errorf("re-sync of 1000: %d × %q, want %d", got, c.what, c.n)
		}
	}
}

// natSave reads table nat back with the oracle, without its comment lines.
func natSave(ns *netnstest.NS) (string, error) {
	out, err := ns.Run("iptables-nft-save", "-t", "nat")
	if err != nil {
		return "", err
	}
	var lines []string
	for l := range strings.SplitSeq(out, "\n") {
		if !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n"), nil
}

// TestKubeProxyPeersLoadTheSameRules: xtnl, iptables-nft-restore and the
// floor leave the very same table nat after the full sync and after the
// re-sync, as iptables-nft-save prints it (50 services: endpoint
// comments included).
func TestKubeProxyPeersLoadTheSameRules(t *testing.T) {
	exe := self(t)
	const n = 50
	for _, j := range []job{{work: workKPFull}, {work: workKPResync, kpPreload: true}} {
		t.Run(j.work, func(t *testing.T) {
			saves := map[string]string{}
			for _, p := range []*peer{iptablesRestorePeer, xtnlPeer, floorPeer} {
				res, _, err := runOnce(exe, j, n, p, func(ns *netnstest.NS) error {
					var err error
					saves[p.name], err = natSave(ns)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				if res[varSingleton] <= 0 {
					t.Errorf("%s: measurement %v, want one positive time", p.name, res)
				}
			}
			want := saves[iptablesRestorePeer.name]
			if got := strings.Count(want, "\n-A "); got != kpRules(n) {
				t.Fatalf("iptables-nft-restore left %d rules, want %d:\n%s", got, kpRules(n), want)
			}
			for _, p := range []*peer{xtnlPeer, floorPeer} {
				if saves[p.name] != want {
					t.Errorf("table nat after %s's %s differs from iptables-nft-restore's:\n%s\nwant:\n%s", p.name, j.work, saves[p.name], want)
				}
			}
		})
	}
}

// TestKubeProxyWorkloadsRun: every peer's run of every kube-proxy
// workload passes the child's own check of the outcome and reports a time
// and its peak RSS.
func TestKubeProxyWorkloadsRun(t *testing.T) {
	exe := self(t)
	for _, j := range plan(true) {
		if !isKPWork(j.work) || j.work == workKPFull || j.work == workKPResync {
			continue // those two: TestKubeProxyPeersLoadTheSameRules
		}
		for _, p := range peers {
			if p.work[j.work] == nil {
				continue
			}
			t.Run(j.work+"/"+p.name, func(t *testing.T) {
				res, _, err := runOnce(exe, j, 50, p, nil)
				if err != nil {
					t.Fatal(err)
				}
				if res[varSingleton] <= 0 || res[rssSelf] <= 0 {
					t.Errorf("measurements %v, want a positive time and peak RSS", res)
				}
			})
		}
	}
}
