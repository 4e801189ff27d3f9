package compat

// DNPT (IPv6 only): -j DNPT --src-pfx ADDR[/LEN] --dst-pfx ADDR[/LEN],
// the same structure, options and printing as SNPT (target_SNPT.go); the
// kernel allows it in the mangle table's PREROUTING and OUTPUT chains.

func init() { registerNPT("DNPT") }
