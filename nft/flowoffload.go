package nft

// flow add @FT and flow offload @FT (flow_offload_stmt_alloc in
// parser_bison.y, netlink_gen_flow_offload_stmt, flow_offload_stmt_print
// in ct.c): hands the packet's connection to flowtable FT, the fast path
// of a router. nft prints both spellings as flow add.

// nftaFlowTableName is NFTA_FLOW_TABLE_NAME (linux/netfilter/nf_tables.h).
const nftaFlowTableName = 1

type flowOffloadStmt struct {
	srcSpan
	table string
}

func init() {
	stmtParsers["flow"] = func(p *parser, t token) Stmt {
		if n := p.peekN(1); n.kind != tWord || n.text != "add" && n.text != "offload" {
			return nil
		}
		p.i += 2
		ref := p.next()
		if ref.kind != tSetRef {
			p.unexpected(ref)
		}
		return &flowOffloadStmt{srcSpan: srcSpan{t.pos, ref.end}, table: ref.text}
	}
}

func (s *flowOffloadStmt) compile(r *ruleCtx) error {
	a := r.attrs()
	a.str(nftaFlowTableName, s.table)
	r.emit("flow_offload", &a)
	return nil
}

// flowOffloadText prints a flow_offload expression.
func flowOffloadText(a attrMap) string {
	return "flow add @" + a.str(nftaFlowTableName)
}
