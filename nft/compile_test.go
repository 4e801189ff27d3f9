package nft

import (
	"errors"
	"fmt"
	"testing"
)

func TestErrorPosition(t *testing.T) {
	_, err := Compile("add table ip t\nadd rule ip t c tcp dport { 22 ", Options{File: "/dev/stdin"})
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want *Error, got %v", err)
	}
	if e.Line != 2 {
		t.Fatalf("error on line %d, want 2: %v", e.Line, err)
	}
}

func TestUnknownDefine(t *testing.T) {
	_, err := Compile("add rule ip t c tcp dport $nope", Options{})
	var e *Error
	// nft 1.0.6 points at the name, after the '$'
	if !errors.As(err, &e) || e.Col != 28 {
		t.Fatalf("want error at column 28, got %v", err)
	}
}

func TestScannerAddresses(t *testing.T) {
	toks, errs := scanAll("x", "1.2.3.4:80 ::1-::2 00:0f:54:0c:11:04 dead::beef 22-25 echo-request 10s")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var got []string
	for _, tk := range toks {
		got = append(got, fmt.Sprintf("%d:%s", tk.kind, tk.text))
	}
	want := "[4:1.2.3.4 8:: 3:80 4:::1 8:- 4:::2 4:00:0f:54:0c:11:04 4:dead::beef 3:22 8:- 3:25 2:echo-request 2:10s 0:]"
	if fmt.Sprint(got) != want {
		t.Fatalf("tokens\n got %v\nwant %s", got, want)
	}
}

// ExampleCompile compiles a small script into the messages of one
// transaction.
func ExampleCompile() {
	prog, err := Compile(`table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		tcp dport { 22, 443 } accept
	}
}`, Options{File: "example.nft"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range prog.Messages {
		fmt.Println(m.Op, m.Object)
	}
	// Output:
	// add table inet filter
	// add chain inet filter input
	// add set inet filter __set%d
	// add element inet filter __set%d
	// add rule inet filter input
}
