package compat

// cluster: -m cluster, revision 0 (struct xt_cluster_match_info, 16
// bytes): u32 total_nodes, u32 node_mask, u32 hash_seed, u32 flags
// (INV 1). --cluster-total-nodes N (1-32) and --cluster-hash-seed N are
// needed, with [!] --cluster-local-node N (1-32, stored as the mask
// 1<<(N-1)) or [!] --cluster-local-nodemask N (also 1-32, as libxt_cluster
// bounds it), not both. -S prints the mask, whichever was given.

const (
	clusterOptTotalNodes = iota
	clusterOptLocalNode
	clusterOptLocalNodemask
	clusterOptHashSeed
)

const clusterNodesMax = 32

type clusterInfo struct{ totalNodes, nodeMask, hashSeed, flags uint32 }

func (c *clusterInfo) unmarshal(b []byte) {
	c.totalNodes, c.nodeMask = hostOrder.Uint32(b[0:]), hostOrder.Uint32(b[4:])
	c.hashSeed, c.flags = hostOrder.Uint32(b[8:]), hostOrder.Uint32(b[12:])
}

func (c *clusterInfo) marshal(b []byte) {
	hostOrder.PutUint32(b[0:], c.totalNodes)
	hostOrder.PutUint32(b[4:], c.nodeMask)
	hostOrder.PutUint32(b[8:], c.hashSeed)
	hostOrder.PutUint32(b[12:], c.flags)
}

func init() {
	const node, mask = 1 << clusterOptLocalNode, 1 << clusterOptLocalNodemask
	const total, seed = 1 << clusterOptTotalNodes, 1 << clusterOptHashSeed
	Register(&Extension{
		Name: "cluster", Revision: 0, Size: 16,
		Options: []Option{
			{Name: "cluster-total-nodes", ID: clusterOptTotalNodes, Type: TypeUint32, Min: 1, Max: clusterNodesMax, Flags: Mandatory},
			{Name: "cluster-local-node", ID: clusterOptLocalNode, Type: TypeUint32, Min: 1, Max: clusterNodesMax, Flags: Invert, Excl: mask},
			{Name: "cluster-local-nodemask", ID: clusterOptLocalNodemask, Type: TypeUint32, Min: 1, Max: clusterNodesMax, Flags: Invert, Excl: node},
			{Name: "cluster-hash-seed", ID: clusterOptHashSeed, Type: TypeUint32, Flags: Mandatory},
		},
		Parse: func(info []byte, c *OptionCall) error {
			var ci clusterInfo
			ci.unmarshal(info)
			v := uint32(c.Val.Uint)
			switch c.Option.ID {
			case clusterOptTotalNodes:
				ci.totalNodes = v
			case clusterOptLocalNode:
				ci.nodeMask = 1 << (v - 1)
			case clusterOptLocalNodemask:
				ci.nodeMask = v
			case clusterOptHashSeed:
				ci.hashSeed = v
			}
			if c.Invert {
				ci.flags |= 1
			}
			ci.marshal(info)
			return nil
		},
		// libxt_cluster's x6_fcheck, before the engine's checks.
		FinalFirst: true,
		Final: func(info []byte, ctx *ParseContext) error {
			var ci clusterInfo
			ci.unmarshal(info)
			given := ctx.given()
			tooBig := uint64(ci.nodeMask) >= uint64(1)<<ci.totalNodes
			switch {
			case given&(total|node|seed) == total|node|seed:
				if tooBig {
					return badSpec("--cluster-local-node", "cluster match: `--cluster-local-node' must be <= `--cluster-total-nodes'")
				}
			case given&(total|mask|seed) == total|mask|seed:
				if tooBig {
					return badSpec("--cluster-local-nodemask", "cluster match: `--cluster-local-nodemask' too big for `--cluster-total-nodes'")
				}
			case given&(node|mask) == 0:
				return badSpec("-m cluster", "cluster match: `--cluster-local-node' or`--cluster-local-nodemask' is missing")
			}
			return nil
		},
		Save: func(info []byte, w *Writer) {
			var ci clusterInfo
			ci.unmarshal(info)
			w.Opt(ci.flags&1 != 0, "cluster-local-nodemask", hexPad(ci.nodeMask, 8))
			w.Opt(false, "cluster-total-nodes", utoa(ci.totalNodes))
			w.Opt(false, "cluster-hash-seed", hexPad(ci.hashSeed, 8))
		},
		Print: func(info []byte, w *Writer) {
			var ci clusterInfo
			ci.unmarshal(info)
			w.WriteString(" cluster " + invMark(ci.flags&1 != 0) + "node_mask=" + hexPad(ci.nodeMask, 8))
			w.WriteString(" total_nodes=" + utoa(ci.totalNodes) + " hash_seed=" + hexPad(ci.hashSeed, 8))
		},
	})
}
