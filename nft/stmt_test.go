package nft

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// Statements and objects of the statements helper: what compiles, what is
// refused with a position, and the printers' pure parts.

func TestStatementsCompile(t *testing.T) {
	for _, src := range []string{
		"add rule ip t c quota over 10 mbytes used 1 kbytes",
		"add rule ip t c limit rate over 1 kbytes / second burst 512 bytes",
		"add rule ip t c limit rate 10/minute burst 3 packets",
		"add rule ip t c log prefix \"x\" flags tcp sequence,options flags ip options",
		"add rule ip t c counter bytes 1 packets 2",
		"add rule ip t c ct count over 3",
		"add rule ip t c ct event set new,related",
		"add rule ip t c ct mark set ct mark or 0x1",
		"add rule ip t c ct mark set (meta mark | 0x10) << 8",
		"add rule ip t c ct mark set jhash ip saddr . ip daddr mod 2 seed 0xdeadbeef offset 100",
		"add rule ip t c ct mark set numgen random mod 4",
		"add rule ip t c ct mark set mark map { 1 : 2 }",
		"add rule ip t c ct expiration 1m-1h",
		"add rule ip t c synproxy mss 1460 wscale 7 timestamp sack-perm",
		"add rule inet t c socket transparent 1 ipsec in spnum 2 ip saddr 1.2.3.4 osf ttl skip name \"Linux\"",
		"add rule ip t c counter name tcp dport map { 22 : \"a\", 80 : \"b\" }",
		"add counter ip t a\nadd quota ip t q over 1 kbytes\nadd limit ip t l rate 400/minute\nadd synproxy ip t s mss 1460 wscale 7",
		"add ct helper ip t h { type \"ftp\" protocol tcp; l3proto ip; }",
		"add ct expectation ip t e { protocol tcp; dport 21; timeout 2m; size 8; }",
		"table ip t {\n counter c {\n  packets 0 bytes 0\n }\n quota q { 25 mbytes }\n chain c { counter name \"c\"; }\n}",
		"delete counter ip t a",
	} {
		if _, err := Compile(src, Options{}); err != nil {
			t.Errorf("%q: %v", src, err)
		}
	}
}

func TestStatementsRefused(t *testing.T) {
	for _, src := range []string{
		"add rule ip t c limit rate 1023/second burst 10 bytes",
		"add rule ip t c limit rate 512 kbytes/second burst 5 packets",
		"add rule ip t c limit rate 1 gbytes / second",
		"add rule ip t c quota 10 gbytes",
		"add rule ip t c log level audit prefix \"x\"",
		"add rule ip t c log group 1 level info",
		"add rule ip t c ct label 128",
		"add rule ip t c ct expiration 1d-1h",
		"add rule ip t c ct helper \"\"",
		"add rule ip t c ct original mark 1",
		"add rule ip t c socket transparent 2",
		"add rule ip t c ipsec in spnum 256 reqid 1",
		"add rule ip t c meta nfproto ipv4",
		"add rule inet t c meta nfproto ipv6 ct original ip saddr 1.2.3.4",
		"add rule ip t c meta mark set ct original daddr map { 1.1.1.1 : 0x11 }",
		"add ct expectation ip t e { protocol tcp; dport 21; }",
		"add ct helper ip t h { type \"morethansixteenbytes\" protocol tcp; }",
	} {
		_, err := Compile(src, Options{})
		var e *Error
		if !errors.As(err, &e) || e.Line == 0 || e.Col == 0 {
			t.Errorf("%q: want an error with a position, got %v", src, err)
		}
	}
}

func TestStatementText(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{byteRate(0), "0 bytes"},
		{byteRate(1025), "1025 bytes"},
		{byteRate(2048), "2 kbytes"},
		{byteRate(3 << 20), "3 mbytes"},
		{synproxyText(0, 0, synproxyOptTimestamp), "synproxy timestamp"},
		{synproxyText(1460, 0, synproxyOptMSS), "synproxy mss 1460 wscale 0"},
		{formatTimeValue(dtTime, uintBytes(67000, 4), nil), "1m7s"},
		{formatTimeValue(dtTime, uintBytes(3600000, 4), &PrintOptions{numericTime: true}), "3600s"},
		{formatCtLabel(dtCtLabel, fit([]byte{0x80}, 16), nil), "7"},
		{(&hashExpr{sym: true, mod: 2, offset: 100}).text(), "symhash mod 2 offset 100"},
		{(&numgenExpr{mod: 2}).text(), "numgen inc mod 2"},
		{(&xfrmExpr{dir: 1, spnum: 3, key: xfrmSaddrIP6}).text(), "ipsec out spnum 3 ip6 saddr"},
		{(&socketExpr{key: socketMark}).text(), "socket mark"},
		{(&osfExpr{ttl: 1, version: true}).text(), "osf ttl loose version"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	var a attrBuf
	a.u64(unix.NFTA_LIMIT_RATE, 1024)
	a.u64(unix.NFTA_LIMIT_UNIT, 1)
	a.u32(unix.NFTA_LIMIT_BURST, 512)
	a.u32(unix.NFTA_LIMIT_TYPE, unix.NFT_LIMIT_PKT_BYTES)
	a.u32(unix.NFTA_LIMIT_FLAGS, unix.NFT_LIMIT_F_INV)
	if got, want := limitText(attrsOf(a.b)), "limit rate over 1 kbytes/second burst 512 bytes"; got != want {
		t.Errorf("limit: got %q, want %q", got, want)
	}
}

func TestQueue(t *testing.T) {
	for _, src := range []string{
		"add rule ip t c queue",
		"add rule ip t c queue num 4-5 fanout bypass",
		"add rule ip t c queue flags bypass to numgen inc mod 65536",
		"add rule ip t c queue to jhash oif . meta mark mod 32",
		"add rule ip t c queue flags bypass to oifname map { \"eth0\" : 0, \"ppp0\" : 2 }",
		"add rule ip t c queue flags bypass,fanout to 1-65535",
	} {
		if _, err := Compile(src, Options{}); err != nil {
			t.Errorf("%q: %v", src, err)
		}
	}
	for _, src := range []string{
		"add rule ip t c queue num 65536",
		"add rule ip t c queue to symhash mod 2 offset 65536",
		"add rule ip t c queue num symhash mod 65536",
		"add rule ip t c queue flags fanout to symhash mod 65536",
		"add rule ip t c queue to oif",
		"add rule ip t c queue num oif",
		"add rule ip t c queue accept",
	} {
		if _, err := Compile(src, Options{}); err == nil {
			t.Errorf("%q: compiled, nft refuses it", src)
		}
	}
}
