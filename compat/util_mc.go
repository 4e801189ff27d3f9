package compat

import ()

// Helpers shared by the mc group's extensions (quota, time, realm,
// connbytes, tcpmss, frag, ipv6header, rt, cpu, devgroup, sctp, ah, esp,
// dst, hbh).

// mcProtoCheck refuses a protocol match without the matching -p, as the
// kernel does ("only valid for protocol N").
func mcProtoCheck(ctx *ParseContext, want uint8, name string) error {
	if ctx.Spec.Proto != want || ctx.Spec.InvProto {
		return badSpec("-m "+name, "%s match: only valid for protocol %d (use -p %s)", name, want, formatProto(want))
	}
	return nil
}

// mcInv returns "!" when set, "" otherwise (for -L texts).
func mcInv(set bool) string {
	if set {
		return "!"
	}
	return ""
}
