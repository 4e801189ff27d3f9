package main

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"strings"
	"syscall"
	"testing"

	goipt "github.com/coreos/go-iptables/iptables"
	"github.com/xtnl/xtnl/compat"
	"github.com/xtnl/xtnl/netnstest"
	"golang.org/x/sys/unix"
)

// compat is a drop-in for go-iptables: a caller switches by changing the
// import. So every exported function, method, type and struct field of
// go-iptables must exist in compat with the very same signature, the
// package's own types standing in for go-iptables'.
func TestDropInSignatures(t *testing.T) {
	funcs := []struct {
		name       string
		them, ours any
	}{
		{"New", goipt.New, compat.New},
		{"NewWithProtocol", goipt.NewWithProtocol, compat.NewWithProtocol},
		{"IPFamily", goipt.IPFamily, compat.IPFamily},
		{"Timeout", goipt.Timeout, compat.Timeout},
		{"Path", goipt.Path, compat.Path},
	}
	for _, f := range funcs {
		if a, b := typeShape(reflect.TypeOf(f.them)), typeShape(reflect.TypeOf(f.ours)); a != b {
			t.Errorf("func %s: go-iptables %s, compat %s", f.name, a, b)
		}
	}
	types := []struct{ them, ours reflect.Type }{
		{reflect.TypeFor[*goipt.IPTables](), reflect.TypeFor[*compat.IPTables]()},
		{reflect.TypeFor[*goipt.Error](), reflect.TypeFor[*compat.Error]()},
		{reflect.TypeFor[goipt.Protocol](), reflect.TypeFor[compat.Protocol]()},
		{reflect.TypeFor[goipt.Stat](), reflect.TypeFor[compat.Stat]()},
		{reflect.TypeFor[goipt.Unlocker](), reflect.TypeFor[compat.Unlocker]()},
	}
	methods := 0
	for _, ty := range types {
		for i := range ty.them.NumMethod() {
			m := ty.them.Method(i)
			ours, ok := ty.ours.MethodByName(m.Name)
			if !ok {
				t.Errorf("%s has no method %s", ty.ours, m.Name)
				continue
			}
			methods++
			// Interface methods have no receiver; concrete ones do.
			a, b := m.Type, ours.Type
			if ty.them.Kind() != reflect.Interface {
				a, b = withoutReceiver(a), withoutReceiver(b)
			}
			if sa, sb := typeShape(a), typeShape(b); sa != sb {
				t.Errorf("%s.%s: go-iptables %s, compat %s", ty.them, m.Name, sa, sb)
			}
		}
		if ty.them.Kind() == reflect.Struct {
			// The exported fields, in order, with their types and tags:
			// unkeyed literals (Stat{0, 0, "ACCEPT", ...}) and embedded
			// fields (Error's exec.ExitError) must work alike.
			if a, b := structShape(ty.them), structShape(ty.ours); a != b {
				t.Errorf("struct %s: go-iptables\n\t%s\ncompat\n\t%s", ty.them, a, b)
			}
		}
	}
	if methods < 30 {
		t.Fatalf("compared only %d methods: go-iptables' API was not read", methods)
	}
	if compat.ProtocolIPv4 != compat.Protocol(goipt.ProtocolIPv4) || compat.ProtocolIPv6 != compat.Protocol(goipt.ProtocolIPv6) {
		t.Error("the Protocol constants differ from go-iptables'")
	}
}

// structShape spells a struct's exported fields in order (name, type,
// tag, embedded or not); with every field exported, as Stat's are, the
// count must match too, or unkeyed literals would break.
func structShape(t reflect.Type) string {
	var fields []string
	all := true
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			all = false
			continue
		}
		fields = append(fields, fmt.Sprintf("%s %s %q embedded=%v", f.Name, typeShape(f.Type), f.Tag, f.Anonymous))
	}
	return fmt.Sprintf("all exported=%v: %s", all, strings.Join(fields, "; "))
}

// withoutReceiver drops a method expression's first parameter.
func withoutReceiver(fn reflect.Type) reflect.Type {
	in := make([]reflect.Type, 0, fn.NumIn()-1)
	for i := 1; i < fn.NumIn(); i++ {
		in = append(in, fn.In(i))
	}
	out := make([]reflect.Type, 0, fn.NumOut())
	for i := range fn.NumOut() {
		out = append(out, fn.Out(i))
	}
	return reflect.FuncOf(in, out, fn.IsVariadic())
}

// typeShape spells a type with go-iptables' and compat's own named types
// reduced to their bare names, so the two packages' signatures compare.
func typeShape(t reflect.Type) string {
	if t.Name() != "" {
		if p := t.PkgPath(); strings.HasSuffix(p, "/go-iptables/iptables") || strings.HasSuffix(p, "/xtnl/compat") {
			return "drop-in." + t.Name()
		}
		return t.String()
	}
	switch t.Kind() {
	case reflect.Pointer:
		return "*" + typeShape(t.Elem())
	case reflect.Slice:
		return "[]" + typeShape(t.Elem())
	case reflect.Array:
		return "[" + reflect.ValueOf(t.Len()).String() + "]" + typeShape(t.Elem())
	case reflect.Map:
		return "map[" + typeShape(t.Key()) + "]" + typeShape(t.Elem())
	case reflect.Func:
		var in, out []string
		for i := range t.NumIn() {
			s := typeShape(t.In(i))
			if t.IsVariadic() && i == t.NumIn()-1 {
				s = "..." + s[2:]
			}
			in = append(in, s)
		}
		for i := range t.NumOut() {
			out = append(out, typeShape(t.Out(i)))
		}
		return "func(" + strings.Join(in, ", ") + ") (" + strings.Join(out, ", ") + ")"
	}
	return t.String()
}

// An *Error answers the questions callers ask of go-iptables' (whose Error
// embeds the exec.ExitError of the iptables it ran) the same way: exit
// status and code, the process state's methods, not-exist.
func TestDropInErrorBehaviour(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (network namespaces)")
	}
	ns := netnstest.New(t)
	var them *goipt.IPTables
	var err error
	inNamespace(t, ns, func() { them, err = goipt.New() })
	if err != nil {
		t.Fatal(err)
	}
	ours, err := compat.New(compat.NetNS(ns.Name))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		op   func(ipt failingOps) error
	}{
		{"delete a missing rule", func(ipt failingOps) error {
			return ipt.Delete("filter", "INPUT", "-s", "10.9.9.9/32", "-j", "DROP")
		}},
		{"delete a missing chain", func(ipt failingOps) error {
			return ipt.DeleteChain("filter", "NOSUCH")
		}},
		{"append a bad port", func(ipt failingOps) error {
			return ipt.Append("filter", "INPUT", "-p", "tcp", "--dport", "99999", "-j", "ACCEPT")
		}},
	}
	for _, c := range cases {
		var theirErr error
		inNamespace(t, ns, func() { theirErr = c.op(them) })
		ourErr := c.op(ours)
		var te *goipt.Error
		var oe *compat.Error
		if !errors.As(theirErr, &te) || !errors.As(ourErr, &oe) {
			t.Fatalf("%s: go-iptables %v, compat %v: want an *Error from both", c.name, theirErr, ourErr)
		}
		const says = "ExitStatus %d, ExitCode %d, Exited %t, Success %t, String %q, Sys's ExitStatus %d, IsNotExist %t"
		got := fmt.Sprintf(says, oe.ExitStatus(), oe.ExitCode(), oe.Exited(), oe.Success(), oe.String(), oe.Sys().(syscall.WaitStatus).ExitStatus(), oe.IsNotExist())
		want := fmt.Sprintf(says, te.ExitStatus(), te.ExitCode(), te.Exited(), te.Success(), te.String(), te.Sys().(syscall.WaitStatus).ExitStatus(), te.IsNotExist())
		if got != want {
			t.Errorf("%s: compat's Error says %s, go-iptables' %s", c.name, got, want)
		}
	}
}

// failingOps are the calls the error cases make, on either package.
type failingOps interface {
	Delete(table, chain string, rulespec ...string) error
	Append(table, chain string, rulespec ...string) error
	DeleteChain(table, chain string) error
}

// inNamespace runs fn on a thread of its own switched into ns, so that
// what fn executes (go-iptables runs iptables) runs there too. As
// netnstest.Create does, the thread goes back to its namespace after, and
// is handed back to the runtime only if it did: otherwise it exits,
// locked, with its goroutine. fn must not call t.Fatal (it runs on
// another goroutine).
func inNamespace(t *testing.T, ns *netnstest.NS, fn func()) {
	t.Helper()
	target, err := os.Open(ns.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			done <- err
			return
		}
		defer orig.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			done <- fmt.Errorf("enter namespace %s: %w", ns.Name, err)
			return
		}
		fn()
		if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
			done <- fmt.Errorf("return from namespace %s: %w", ns.Name, err)
			return // the thread stays locked and exits
		}
		runtime.UnlockOSThread()
		done <- nil
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
