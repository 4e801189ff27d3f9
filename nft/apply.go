package nft

import (
	"errors"
	"fmt"

	"github.com/xtnl/xtnl"
	"golang.org/x/sys/unix"
)

// Apply commits the program's messages on c in one transaction: all of
// them or, on error, none. The error is an *xtnl.OpError naming the first
// message the kernel refused.
func (p *Program) Apply(c *xtnl.Conn) error {
	if len(p.Messages) == 0 {
		return nil
	}
	tx := c.Begin()
	p.AddTo(tx)
	return tx.Commit()
}

// Check is a dry run, as `nft --check` is: the kernel evaluates every
// message of the program as in Apply, reports the first it refuses, and
// keeps none of them. It appends one message that always fails (deleting
// the table with handle 0, which the kernel never assigns), so the batch
// is aborted; a failure of that message alone means the program would
// have committed.
func (p *Program) Check(c *xtnl.Conn) error {
	if len(p.Messages) == 0 {
		return nil
	}
	tx := c.Begin()
	p.AddTo(tx)
	var a attrBuf
	a.u64(nftaTableHandle, 0)
	tx.AddRaw("check", "(dry run)", unix.NFT_MSG_DELTABLE, 0, xtnl.FamilyIPv4, a.b)
	err := tx.Commit()
	var oe *xtnl.OpError
	if errors.As(err, &oe) && oe.Index == len(p.Messages) {
		if oe.Errno == unix.ENOENT {
			return nil
		}
		return fmt.Errorf("nft: dry run: the closing message failed with %v", oe.Errno)
	}
	if err == nil {
		return errors.New("nft: dry run: the kernel committed the batch") // cannot happen: handle 0 never exists
	}
	return err
}
