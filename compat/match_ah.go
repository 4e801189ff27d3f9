package compat

// ah: -p ah -m ah [!] --ahspi SPI[:SPI] (IPv4 only; struct ipt_ah, 9
// bytes): u32 spis[2] @0 (host order), u8 invflags @8. Registered with
// esp's code (match_esp.go); the kernel refuses it without -p ah. IPv6's
// ah is another structure, with --ahlen and --ahres (match_ah6.go).

func init() { espRegister("ah", "ahspi", 51, IPv4) }
