package knft

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/xtnl/xtnl"
	"github.com/xtnl/xtnl/nft"
	"golang.org/x/sys/unix"
	"sigs.k8s.io/knftables"
)

// Error is an error of Run, Check or a List method. Its message is what
// nft would print on stderr; it unwraps to the underlying error (an
// *nft.Error, *xtnl.OpError, ...) and, when the cause is ENOENT or
// EEXIST, to knftables' own error of that kind, so knftables.IsNotFound
// and knftables.IsAlreadyExists answer as for knftables' real backend.
type Error struct {
	Msg  string
	Err  error
	kind error // knftables' not-found or already-exists error, or nil
}

func (e *Error) Error() string { return e.Msg }

// Unwrap returns the cause and knftables' error of the same kind.
func (e *Error) Unwrap() []error {
	errs := []error{e.Err}
	if e.kind != nil {
		errs = append(errs, e.kind)
	}
	return errs
}

var (
	kindOnce           sync.Once
	notFound, existing error
)

// kinds takes one not-found and one already-exists error from a
// knftables.Fake: the only way to hold values of knftables' unexported
// error type, which IsNotFound and IsAlreadyExists look for.
func kinds() (error, error) {
	kindOnce.Do(func() {
		ctx := context.Background()
		f := knftables.NewFake(knftables.IPv4Family, "knft")
		tx := f.NewTransaction()
		tx.Delete(&knftables.Table{})
		notFound = f.Run(ctx, tx)
		tx = f.NewTransaction()
		tx.Add(&knftables.Table{})
		_ = f.Run(ctx, tx)
		tx = f.NewTransaction()
		tx.Create(&knftables.Table{})
		existing = f.Run(ctx, tx)
		if !knftables.IsNotFound(notFound) || !knftables.IsAlreadyExists(existing) {
			panic("knft: knftables.Fake no longer reports not-found and already-exists errors") // a knftables upgrade changed the Fake
		}
	})
	return notFound, existing
}

// wrap gives err knftables' kind when its errno says so.
func wrap(msg string, err error) error {
	nf, ex := kinds()
	e := &Error{Msg: msg, Err: err}
	switch {
	case errors.Is(err, unix.ENOENT):
		e.kind = nf
	case errors.Is(err, unix.EEXIST):
		e.kind = ex
	}
	return e
}

// Run is part of knftables.Interface: the transaction's nft text is
// compiled and committed in one batch, all or nothing.
func (n *NFTables) Run(ctx context.Context, tx *knftables.Transaction) error {
	return n.run(ctx, tx, false)
}

// Check is part of knftables.Interface: a dry run, as `nft --check`.
func (n *NFTables) Check(ctx context.Context, tx *knftables.Transaction) error {
	return n.run(ctx, tx, true)
}

func (n *NFTables) run(ctx context.Context, tx *knftables.Transaction, check bool) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	src := tx.String()
	// knftables appends a transaction's pending error as a comment.
	if i := strings.Index(src, "# ERROR: "); i >= 0 {
		return errors.New(strings.TrimSpace(src[i+len("# ERROR: "):]))
	}
	prog, err := nft.Compile(src, nft.Options{File: "/dev/stdin", Lookup: nft.ConnLookup(n.conn)})
	if err != nil {
		var msg strings.Builder
		var el nft.ErrorList
		if errors.As(err, &el) {
			for _, e := range el {
				msg.WriteString(e.Display())
				msg.WriteByte('\n')
			}
		} else {
			msg.WriteString(err.Error())
		}
		return wrap(msg.String(), err)
	}
	if check {
		err = prog.Check(n.conn)
	} else {
		err = prog.Apply(n.conn)
	}
	if err == nil {
		return nil
	}
	var oe *xtnl.OpError
	if errors.As(err, &oe) && oe.Index >= 0 && oe.Index < len(prog.Messages) {
		m := prog.Messages[oe.Index]
		line := lineOf(src, m.Pos.Line)
		return wrap(fmt.Sprintf("/dev/stdin:%d:%d-%d: Error: Could not process rule: %s\n%s\n", m.Pos.Line, m.Pos.Col, len(line), errnoText(oe.Errno), line), err)
	}
	return wrap("Error: "+err.Error(), err)
}

func lineOf(src string, n int) string {
	lines := strings.Split(src, "\n")
	if n >= 1 && n <= len(lines) {
		return lines[n-1]
	}
	return ""
}

// errnoText is strerror's text, as nft prints it.
func errnoText(e unix.Errno) string {
	s := e.Error()
	if s == "" {
		return fmt.Sprint(int(e))
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
