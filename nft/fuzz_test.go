package nft

import "testing"

// FuzzCompile feeds arbitrary scripts to the compiler: it must return a
// program or an error, never panic, and the pipeline (pipeline.go) must
// give what compiling in order gives.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		"add rule ip t c tcp dport 22 accept",
		"table inet t { chain c { type filter hook input priority 0; policy drop;\n ip saddr { 1.2.3.4, 10.0.0.0/8 } counter accept\n } }",
		"define x = { 1, 2 }\nadd rule inet t c udp dport $x drop",
		"add rule inet t c ip daddr . tcp dport vmap { 1.2.3.4 . 80 : accept }",
		"add set ip t s { type ipv4_addr; flags interval; elements = { 1.2.3.0/24 } }",
		"add rule ip t c ct state established,related accept comment \"x\"",
		"add rule ip6 t c frag frag-off { 33-45 } srh sid[1] dead::beef exthdr hbh missing",
		"add rule inet t c tcp option sack1 left 1 tcp option @255,8,8 255 reset tcp option 6",
		"add rule ip t c ip ttl set 23 @nh,8,8 0xff",
		"table ip t {\n chain c { type filter hook input priority 0; tcp dport 22 accept\n }\n chain d { udp dport 53 drop }\n}\n",
		"table ip t {\n chain c { tcp dport 22 accept }\n set s { type ipv4_addr; }\n}\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		checkPipeline(t, src)
	})
}
