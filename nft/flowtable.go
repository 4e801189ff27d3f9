package nft

import (
	"fmt"
	"slices"

	"github.com/xtnl/xtnl"
	"golang.org/x/sys/unix"
)

// Flowtables: flowtable NAME { hook ingress priority P; devices = { ... };
// counter; flags offload; } in a table block, or add|create|delete
// flowtable (flowtable_block in parser_bison.y, flowtable_evaluate,
// mnl_nft_flowtable_add). The hook and priority are the netdev ingress
// hook's; the kernel takes the devices in the reverse of their order.

// NFTA_FLOWTABLE_* and NFTA_FLOWTABLE_HOOK_* (linux/netfilter/nf_tables.h).
const (
	nftaFlowtableHook     = 3
	nftaFlowtableHandle   = 5
	nftaFlowtableFlags    = 7
	nftaFlowtableHookNum  = 1
	nftaFlowtableHookPrio = 2
	nftaFlowtableHookDevs = 3
	nftaDeviceName        = 1
	flowtableHwOffload    = 1 // NFT_FLOWTABLE_HW_OFFLOAD
	flowtableCounter      = 2 // NFT_FLOWTABLE_COUNTER
)

// flowtableCmd compiles add, create and delete flowtable.
func (cc *compileCtx) flowtableCmd(c *Command) error {
	var a attrBuf
	a.str(nftaFlowtableTable, c.Table)
	if c.Op == "delete" {
		if c.Handle != 0 {
			a.u64(nftaFlowtableHandle, c.Handle)
		} else {
			a.str(nftaFlowtableName, c.Name)
		}
		cc.add(unix.NFT_MSG_DELFLOWTABLE, 0, c.Family, c.Op+" flowtable", objName(c.Family, c.Table, c.Name), a.b)
		return nil
	}
	if c.obj == nil || c.Op != "add" && c.Op != "create" {
		return cc.errAt(c.pos, fmt.Sprintf("unsupported command: %s %s", c.Op, c.Obj))
	}
	ft, err := cc.flowtableArgs(c)
	if err != nil {
		return err
	}
	a.str(nftaFlowtableName, c.Name)
	if ft.hook != "" {
		prio, err := cc.chainPriority(xtnl.FamilyNetdev, &chainDef{prio: ft.prio, prioText: ft.prioText})
		if err != nil {
			return err
		}
		h := a.nest(nftaFlowtableHook)
		a.u32(nftaFlowtableHookNum, hookNums[ft.hook])
		a.u32(nftaFlowtableHookPrio, uint32(prio))
		if len(ft.devices) > 0 {
			d := a.nest(nftaFlowtableHookDevs)
			for _, dev := range slices.Backward(ft.devices) {
				a.str(nftaDeviceName, dev)
			}
			a.end(d)
		}
		a.end(h)
	}
	a.u32(nftaFlowtableFlags, ft.flags)
	flags := uint16(unix.NLM_F_CREATE)
	if c.Op == "create" {
		flags |= unix.NLM_F_EXCL
	}
	cc.add(unix.NFT_MSG_NEWFLOWTABLE, flags, c.Family, c.Op+" flowtable", objName(c.Family, c.Table, c.Name), a.b)
	return nil
}

// flowtableSpec is what a flowtable block declares.
type flowtableSpec struct {
	hook     string
	prio     Expr
	prioText string
	devices  []string
	flags    uint32
}

// flowtableArgs reads the lines of the flowtable's block.
func (cc *compileCtx) flowtableArgs(c *Command) (ft *flowtableSpec, err error) {
	toks := append(slices.Clip(c.obj.args), token{kind: tEOF, pos: c.pos.Pos, end: c.pos.end})
	if n := len(toks); n > 1 {
		toks[n-1].pos, toks[n-1].end = toks[n-2].pos, toks[n-2].end
	}
	p := &parser{file: cc.file, src: cc.src, toks: toks, defines: map[string]Expr{}}
	defer func() {
		if rec := recover(); rec != nil {
			if _, ok := rec.(bailout); !ok {
				panic(rec)
			}
			ft, err = nil, p.errs
		}
	}()
	ft = &flowtableSpec{}
	for {
		p.skipNewlines()
		t := p.next()
		switch {
		case t.kind == tEOF:
			return ft, nil
		case t.kind == tWord && t.text == "hook":
			h := p.next()
			if _, ok := hookNums[h.text]; !ok || h.text != "ingress" {
				p.fail(h, "unknown chain hook")
			}
			ft.hook = h.text
			p.expectWord("priority")
			ft.prio, ft.prioText = p.priority()
		case t.kind == tWord && t.text == "devices":
			p.expectPunct("=")
			ft.devices = append(ft.devices, p.deviceList()...)
		case t.kind == tWord && t.text == "counter":
			ft.flags |= flowtableCounter
			continue
		case t.kind == tWord && t.text == "flags":
			p.expectWord("offload")
			ft.flags |= flowtableHwOffload
		default:
			p.unexpected(t)
		}
		p.endCommandInBlock()
	}
}
