package knft

import (
	"context"
	"fmt"

	"github.com/xtnl/xtnl"
	"sigs.k8s.io/knftables"
)

// NFTables is a knftables.Interface over netlink for one family and table.
type NFTables struct {
	family knftables.Family
	table  string
	fam    xtnl.Family
	conn   *xtnl.Conn
	own    bool // conn was opened by New
	// ctx hands out transactions carrying family and table.
	ctx *knftables.Fake
}

var _ knftables.Interface = (*NFTables)(nil)

// Option configures New.
type Option func(*NFTables)

// WithConn makes the interface use c (and its network namespace) instead
// of a connection of its own. Close leaves c open.
func WithConn(c *xtnl.Conn) Option {
	return func(n *NFTables) { n.conn = c }
}

// New returns an Interface for family and table, as knftables.New does.
// Both empty means no default table: objects must name theirs and the
// List methods refuse, as knftables' do.
func New(family knftables.Family, table string, opts ...Option) (*NFTables, error) {
	if (family == "") != (table == "") {
		return nil, fmt.Errorf("family and table must either both be specified or both be empty")
	}
	n := &NFTables{family: family, table: table, ctx: knftables.NewFake(family, table)}
	if family != "" {
		f, ok := families[family]
		if !ok {
			return nil, fmt.Errorf("unknown family %q", family)
		}
		n.fam = f
	}
	for _, o := range opts {
		o(n)
	}
	if n.conn == nil {
		c, err := xtnl.Open()
		if err != nil {
			return nil, fmt.Errorf("could not open netlink connection: %w", err)
		}
		n.conn, n.own = c, true
	}
	return n, nil
}

// Close closes the connection New opened (not one given WithConn).
func (n *NFTables) Close() error {
	if n.own {
		return n.conn.Close()
	}
	return nil
}

var families = map[knftables.Family]xtnl.Family{
	knftables.IPv4Family:   xtnl.FamilyIPv4,
	knftables.IPv6Family:   xtnl.FamilyIPv6,
	knftables.InetFamily:   xtnl.FamilyInet,
	knftables.ARPFamily:    xtnl.FamilyARP,
	knftables.BridgeFamily: xtnl.FamilyBridge,
	knftables.NetDevFamily: xtnl.FamilyNetdev,
}

// NewTransaction is part of knftables.Interface.
func (n *NFTables) NewTransaction() *knftables.Transaction {
	return n.ctx.NewTransaction()
}

func (n *NFTables) needTable(what string) error {
	if n.table == "" {
		return fmt.Errorf("can't use %s() on a knftables.Interface with no associated family/table", what)
	}
	return nil
}

// ctxErr returns ctx's error, if it is done.
func ctxErr(ctx context.Context) error {
	if ctx == nil {
		return nil
	}
	return ctx.Err()
}
