package nft

import "strings"

// The words nft 1.0.6's scanner (scanner.l) returns as keyword tokens:
// bison's syntax errors name such a token by its own name ("unexpected
// drop") and any other word as "string" ("unexpected string"). Keywords
// that scanner.l recognises only in one scope are listed too.

// keywordList holds the keywords that bison names as written.
const keywordList = `
a-rwnd abort accept ackseq add addr ah all arp asconf asconf-ack auto-
merge avgpkt bridge burst bypass bytes cfi cgroup cgroupv2 chain
chains checksum chunk classid code comment comp constant continue
cookie-ack cookie-echo count counter counters cpi cpu create csumcov
ct cum-tsn-ack cwr daddr data day dccp define dei delete describe
device devices direction dnat doff dport drop dscp dst dup dynamic
echo ecn ecne element elements eol error esp ether event exists
expectation expiration expires export exthdr fanout fastopen fib flags
flow flowlabel flowtable flowtables flush forward-tsn frag frag-off
fully-random fwd gateway gc-interval get goto group handle hbh
hdrlength heartbeat heartbeat-ack helper helpers hlen hook hooks
hoplimit hour htype ibriport ibrname icmp icmpv6 icmpx id igmp iif
iifgroup iifname iiftype import in inc include index inet init init-
ack init-tag initial-tsn insert interval ip ip6 ipsec jhash json jump
l3proto label last-entry left length level limit limits list ll log
lowest-tsn lsrr map maps mark masquerade max-delay md5sig memory meta
meter meters mh minute missing mod monitor more-fragments mptcp mrt
mss mtu name netdev new-cum-tsn nexthdr nexthop nftrace nh nop notrack
num num-dup-tsns num-gap-ack-blocks num-inbound-streams num-outbound-
streams numgen obriport obrname offload offset oif oifgroup oifname
oiftype operation option options original osf out over packets param-
problem pcp performance persistent pkttype plen policy port position
ppid prefix priority proto-dst proto-src protocol ptr ptype queue
queue-threshold quota quotas ra random rate redefine redirect reject
rename replace reply reqid reserved reserved2 reset return right rr rt
rt0 rt2 rtclassid rule rules ruleset sack sack-permitted sack0 sack1
sack2 sack3 saddr sctp secmark secmarks second seed seg-left seqno set
sets shutdown shutdown-ack shutdown-complete sid size skgid skuid
snaplen snat socket spi spnum sport srh ssn ssrr state status stream
subtype symhash synproxy synproxys table tables tag tcp th time
timeout timestamp to tproxy trace transparent tsecr tsn tsval ttl type
typeof udp udplite undefine until update urgptr used value version
vlan vm vmap vtag week wildcard window with wscale xml xt zone
`

// keywordAliases are the keywords bison names otherwise (eq is "==").
var keywordAliases = map[string]string{
	"and":       "&",
	"eq":        "==",
	"ge":        ">=",
	"gt":        ">",
	"le":        "<=",
	"lshift":    "<<",
	"lt":        "<",
	"maxseg":    "mss",
	"ne":        "!=",
	"noop":      "nop",
	"not":       "!",
	"or":        "'|'",
	"rshift":    ">>",
	"sack-perm": "sack-permitted",
	"sequence":  "seq",
	"xor":       "^",
}

// keywords maps every keyword to the name bison gives its token.
var keywords = func() map[string]string {
	m := map[string]string{}
	for _, w := range strings.Fields(keywordList) {
		m[w] = w
	}
	for w, a := range keywordAliases {
		m[w] = a
	}
	return m
}()

// punctName is bison's name for a punctuation token: its alias in
// parser_bison.y, or the character quoted.
func punctName(s string) string {
	switch s {
	case ",":
		return "comma"
	case ";":
		return "semicolon"
	case ":":
		return "colon"
	case ".", "==", "!=", "<", ">", "<=", ">=", "<<", ">>", "&", "^", "!", "/", "*", "-", "@", "+":
		return s
	}
	return "'" + s + "'"
}

// globalKeywords are the keywords scanner.l knows in every scope: nft's
// grammar takes none of them as the name of a table, chain, set, map or
// object ("map fwd" is "unexpected fwd, expecting string"), unless
// quoted.
var globalKeywords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`eq ne le lt ge gt lshift rshift xor and or not vmap include define
redefine undefine describe hook device devices table chain rule set element map flowtable handle
ruleset socket tproxy accept drop continue jump goto return inet netdev add replace update create
insert delete get list reset flush rename import export monitor position index comment constant
interval dynamic auto-merge timeout gc-interval elements expires policy size flow offload meter
counter log queue limit quota hour day reject snat dnat masquerade redirect random th bridge ether
type typeof vlan arp ip ecn time icmp icmpv6 igmp ip6 priority ah esp comp flags udp udplite tcp dccp
sctp rt rt0 rt2 srh hbh frag dst mh meta mark iif iifname iiftype oif oifname oiftype skuid skgid
nftrace rtclassid ibriport ibrname obriport obrname pkttype cpu iifgroup oifgroup cgroup ct numgen
jhash symhash dup fwd fib osf synproxy notrack all exists missing exthdr ipsec secmark xt`) {
		m[w] = true
	}
	return m
}()

// objName reads the name of a table, chain, set, map or object: nft's
// identifier, a word that is not a keyword (not quoted, not a number).
func (p *parser) objName() string { return p.objNameOr("string") }

// objNameOr is objName where the grammar also takes something else
// (delete chain ip t handle 3: "handle or string").
func (p *parser) objNameOr(expected string) string {
	t := p.peek()
	if t.kind != tWord || globalKeywords[t.text] || p.cmdKeywords[t.text] {
		p.fail(t, "syntax error, unexpected "+tokDesc(t)+", expecting "+expected)
	}
	return p.name()
}

// listKeywords and resetKeywords are the further keywords of scanner.l's
// scopes for list and reset commands: there, a table named limits is
// "unexpected limits".
var (
	listKeywords  = map[string]bool{"chains": true, "sets": true, "tables": true, "meters": true, "flowtables": true, "limits": true, "maps": true, "secmarks": true, "synproxys": true, "hooks": true, "counters": true, "quotas": true}
	resetKeywords = map[string]bool{"counters": true, "quotas": true}
)
