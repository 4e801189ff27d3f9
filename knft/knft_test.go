package knft

import (
	"context"
	"strings"
	"testing"

	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/netnstest"
	"sigs.k8s.io/knftables"
)

// twin opens an NFTables in a fresh namespace and returns it with a
// second namespace, where nft -f - plays knftables' real backend (which
// pipes tx.String() into nft -f -).
func twin(t *testing.T) (*NFTables, *netnstest.NS, *netnstest.NS) {
	t.Helper()
	ours, oracle := netnstest.New(t), netnstest.New(t)
	c, err := xtnl.Open(xtnl.WithNetNS(ours.Name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	n, err := New(knftables.IPv4Family, "kube-proxy", WithConn(c))
	if err != nil {
		t.Fatal(err)
	}
	return n, ours, oracle
}

// kubeProxyTx is the shape of kube-proxy's nftables-mode transaction:
// base chains, a service map keyed by a concatenation, vmaps, verdict
// maps with numgen load balancing, mark arithmetic in word form, DNAT and
// masquerading.
func kubeProxyTx(tx *knftables.Transaction) {
	tx.Add(&knftables.Table{Comment: knftables.PtrTo("rules for kube-proxy")})
	for _, ch := range []struct{ name, typ, hook, prio string }{
		{"nat-prerouting", "nat", "prerouting", "dstnat"},
		{"nat-output", "nat", "output", "dstnat"},
		{"nat-postrouting", "nat", "postrouting", "srcnat"},
		{"filter-input", "filter", "input", "-110"},
	} {
		tx.Add(&knftables.Chain{Name: ch.name, Type: knftables.PtrTo(knftables.BaseChainType(ch.typ)),
			Hook: knftables.PtrTo(knftables.BaseChainHook(ch.hook)), Priority: knftables.PtrTo(knftables.BaseChainPriority(ch.prio))})
	}
	for _, name := range []string{"services", "masquerading", "mark-for-masquerade", "service-ULMVA6XW-ns1/svc1/tcp/p80", "endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80", "endpoint-6PB5KJBN-ns1/svc1/tcp/p80__10.180.0.2/80"} {
		tx.Add(&knftables.Chain{Name: name})
	}
	tx.Add(&knftables.Map{Name: "service-ips", Type: "ipv4_addr . inet_proto . inet_service : verdict", Comment: knftables.PtrTo("ClusterIP, ExternalIP and LoadBalancer IP traffic")})
	tx.Add(&knftables.Set{Name: "cluster-ips", Type: "ipv4_addr", Comment: knftables.PtrTo("Active ClusterIPs")})
	tx.Add(&knftables.Element{Set: "cluster-ips", Key: []string{"172.30.0.41"}})
	tx.Add(&knftables.Element{Map: "service-ips", Key: []string{"172.30.0.41", "tcp", "80"}, Value: []string{"goto service-ULMVA6XW-ns1/svc1/tcp/p80"}, Comment: knftables.PtrTo("ns1/svc1:p80")})
	tx.Add(&knftables.Rule{Chain: "nat-prerouting", Rule: "jump services"})
	tx.Add(&knftables.Rule{Chain: "nat-output", Rule: "jump services"})
	tx.Add(&knftables.Rule{Chain: "nat-postrouting", Rule: "jump masquerading"})
	tx.Add(&knftables.Rule{Chain: "services", Rule: "ip daddr . meta l4proto . th dport vmap @service-ips"})
	tx.Add(&knftables.Rule{Chain: "mark-for-masquerade", Rule: "mark set mark or 0x4000"})
	tx.Add(&knftables.Rule{Chain: "masquerading", Rule: "mark and 0x4000 == 0 return"})
	tx.Add(&knftables.Rule{Chain: "masquerading", Rule: "mark set mark xor 0x4000"})
	tx.Add(&knftables.Rule{Chain: "masquerading", Rule: "masquerade fully-random"})
	tx.Add(&knftables.Rule{Chain: "service-ULMVA6XW-ns1/svc1/tcp/p80", Rule: "ip daddr 172.30.0.41 tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade"})
	tx.Add(&knftables.Rule{Chain: "service-ULMVA6XW-ns1/svc1/tcp/p80", Rule: "numgen random mod 2 vmap { 0 : goto endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 , 1 : goto endpoint-6PB5KJBN-ns1/svc1/tcp/p80__10.180.0.2/80 }"})
	tx.Add(&knftables.Rule{Chain: "endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80", Rule: "ip saddr 10.180.0.1 jump mark-for-masquerade"})
	tx.Add(&knftables.Rule{Chain: "endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80", Rule: "meta l4proto tcp dnat to 10.180.0.1:80"})
	tx.Add(&knftables.Rule{Chain: "endpoint-6PB5KJBN-ns1/svc1/tcp/p80__10.180.0.2/80", Rule: "ip saddr 10.180.0.2 jump mark-for-masquerade"})
	tx.Add(&knftables.Rule{Chain: "endpoint-6PB5KJBN-ns1/svc1/tcp/p80__10.180.0.2/80", Rule: "meta l4proto tcp dnat to 10.180.0.2:80"})
	tx.Add(&knftables.Rule{Chain: "filter-input", Rule: "ct state new ip daddr @cluster-ips reject", Comment: knftables.PtrTo("no endpoints")})
}

// TestKubeProxyRuleset loads a kube-proxy transaction through knft and
// through nft -f -; nft list ruleset must print the same in both.
func TestKubeProxyRuleset(t *testing.T) {
	n, ours, oracle := twin(t)
	tx := n.NewTransaction()
	kubeProxyTx(tx)
	if _, err := oracle.RunInput([]byte(tx.String()), "nft", "-f", "-"); err != nil {
		t.Fatalf("nft -f: %v\n%s", err, tx)
	}
	if err := n.Run(context.Background(), tx); err != nil {
		t.Fatalf("knft: %v\n%s", err, tx)
	}
	want := oracle.MustRun(t, "nft", "list", "ruleset")
	got := ours.MustRun(t, "nft", "list", "ruleset")
	if got != want {
		t.Errorf("nft list ruleset differs\n--- nft -f\n%s--- knft\n%s", want, got)
	}
}

func TestErrors(t *testing.T) {
	n, ours, _ := twin(t)
	ctx := context.Background()
	tx := n.NewTransaction()
	tx.Add(&knftables.Table{})
	tx.Add(&knftables.Chain{Name: "c"})
	if err := n.Run(ctx, tx); err != nil {
		t.Fatal(err)
	}
	tx = n.NewTransaction()
	tx.Create(&knftables.Chain{Name: "c"})
	if err := n.Run(ctx, tx); !knftables.IsAlreadyExists(err) {
		t.Errorf("create of an existing chain: IsAlreadyExists false for %v", err)
	}
	tx = n.NewTransaction()
	tx.Delete(&knftables.Chain{Name: "nope"})
	err := n.Run(ctx, tx)
	if !knftables.IsNotFound(err) {
		t.Errorf("delete of a missing chain: IsNotFound false for %v", err)
	}
	if err != nil && !strings.Contains(err.Error(), "No such file or directory") {
		t.Errorf("message %q does not say what nft says", err)
	}
	if _, err := n.ListRules(ctx, "nope"); !knftables.IsNotFound(err) {
		t.Errorf("ListRules of a missing chain: IsNotFound false for %v", err)
	}
	// Check is a dry run: it reports errors and applies nothing.
	tx = n.NewTransaction()
	tx.Add(&knftables.Chain{Name: "d"})
	if err := n.Check(ctx, tx); err != nil {
		t.Errorf("Check of a valid transaction: %v", err)
	}
	tx.Delete(&knftables.Chain{Name: "nope"})
	if err := n.Check(ctx, tx); !knftables.IsNotFound(err) {
		t.Errorf("Check of a failing transaction: IsNotFound false for %v", err)
	}
	if out := ours.MustRun(t, "nft", "list", "ruleset"); strings.Contains(out, "chain d") {
		t.Errorf("Check applied its transaction:\n%s", out)
	}
	// A syntax error names the line, and nothing is applied.
	tx = n.NewTransaction()
	tx.Add(&knftables.Chain{Name: "e"})
	tx.Add(&knftables.Rule{Chain: "e", Rule: "tcp dport { 22"})
	if err := n.Run(ctx, tx); err == nil || !strings.Contains(err.Error(), "/dev/stdin:") || !strings.Contains(err.Error(), "syntax error") {
		t.Errorf("syntax error: got %v", err)
	}
	if out := ours.MustRun(t, "nft", "list", "ruleset"); strings.Contains(out, "chain e") {
		t.Errorf("a failed Run applied part of its transaction:\n%s", out)
	}
}

func TestLists(t *testing.T) {
	n, _, _ := twin(t)
	ctx := context.Background()
	tx := n.NewTransaction()
	kubeProxyTx(tx)
	if err := n.Run(ctx, tx); err != nil {
		t.Fatal(err)
	}
	chains, err := n.List(ctx, "chains")
	if err != nil || len(chains) != 10 {
		t.Errorf("List chains: %v %v", chains, err)
	}
	maps, err := n.List(ctx, "map")
	if err != nil || len(maps) != 1 || maps[0] != "service-ips" {
		t.Errorf("List maps: %v %v", maps, err)
	}
	rules, err := n.ListRules(ctx, "filter-input")
	if err != nil || len(rules) != 1 || rules[0].Handle == nil || rules[0].Comment == nil || *rules[0].Comment != "no endpoints" {
		t.Errorf("ListRules: %+v %v", rules, err)
	}
	all, err := n.ListRules(ctx, "")
	if err != nil || len(all) != 15 {
		t.Errorf("ListRules of the table: %d rules, %v", len(all), err)
	}
	elems, err := n.ListElements(ctx, "map", "service-ips")
	if err != nil || len(elems) != 1 {
		t.Fatalf("ListElements: %+v %v", elems, err)
	}
	e := elems[0]
	if strings.Join(e.Key, ",") != "172.30.0.41,tcp,80" || strings.Join(e.Value, ",") != "goto service-ULMVA6XW-ns1/svc1/tcp/p80" || e.Comment == nil || *e.Comment != "ns1/svc1:p80" {
		t.Errorf("element: key %q value %q comment %v", e.Key, e.Value, e.Comment)
	}
}
