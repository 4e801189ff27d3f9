package compat

import (
	"slices"
	"strings"
)

// Helpers shared by the mc group's extensions (quota, time, realm,
// connbytes, tcpmss, frag, ipv6header, rt, cpu, devgroup, sctp, ah, esp,
// dst, hbh).

// mcHookCheck refuses a match in a built-in chain whose hook the kernel
// module does not allow (user chains are checked when jumped to).
func mcHookCheck(ctx *ParseContext, name, what string, hooks []string) error {
	if IsBuiltinChain(ctx.Table, ctx.Chain) && !slices.Contains(hooks, ctx.Chain) {
		return badSpec("-m "+name, "%s is only valid in the %s chains, not %s", what, strings.Join(hooks, "/"), ctx.Chain)
	}
	return nil
}

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
