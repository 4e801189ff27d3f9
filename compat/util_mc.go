package compat

import (
	"slices"
	"strings"
	"sync"

	"github.com/xtnl/xtnl/internal/sysfile"
)

// Helpers shared by the mc group's extensions (quota, time, realm,
// connbytes, tcpmss, frag, ipv6header, rt, cpu, devgroup, sctp, ah, esp,
// dst, hbh).

var (
	mcLmapMu    sync.Mutex
	mcLmapCache = map[string][]lmapEntry{}
)

// mcLmap reads an iproute2 id/name table as xtables_lmap_init does; a
// missing file is an empty table.
func mcLmap(file string) []lmapEntry {
	mcLmapMu.Lock()
	defer mcLmapMu.Unlock()
	if m, ok := mcLmapCache[file]; ok {
		return m
	}
	var out []lmapEntry
	if b, err := sysfile.ReadFile(file); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			cur := strings.TrimLeft(line, cSpaces)
			if cur == "" || cur[0] == '#' {
				continue
			}
			base := uint64(10)
			if strings.HasPrefix(cur, "0x") {
				base = 16
			}
			v, end, overflow := strtoul(cur, base)
			if end == 0 || overflow {
				continue
			}
			id := int(int32(uint32(v)))
			if id < 0 || id > 255 {
				continue
			}
			cur = cur[end:]
			if cur == "" || !isSpace(cur[0]) {
				continue
			}
			cur = strings.TrimLeft(cur, cSpaces)
			if cur == "" || cur[0] == '#' {
				continue
			}
			name := cur
			if k := strings.IndexAny(cur, cSpaces); k >= 0 {
				name = cur[:k]
			}
			out = append(out, lmapEntry{id, name})
		}
	}
	mcLmapCache[file] = out
	return out
}

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
