package compat

import (
	"runtime"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// bpf: -m bpf, revision 1 (struct xt_bpf_info_v1, 528 bytes): u16 mode
// (BYTECODE 0, FD_PINNED 1), u16 bpf_program_num_elem, s32 fd, a union
// of 64 struct sock_filter {u16 code, u8 jt, u8 jf, u32 k} and char
// path[512], a kernel pointer (0). --bytecode "N,CODE JT JF K,..." (as
// nfbpf_compile prints a program, read as libxt_bpf's sscanf reads it) or
// --object-pinned PATH (a program pinned in the BPF file system, opened
// read-only as libxt_bpf opens it); exactly one of them. The kernel
// refuses a program it cannot load (EINVAL, exit status 4). -S quotes
// the bytecode; -L prints "match bpf CODE..." with no leading space and a
// NUL byte after the program, as libxt_bpf's print does.

const (
	bpfOptBytecode = iota
	bpfOptPinned
)

const (
	bpfModeBytecode = 0
	bpfModePinned   = 1
	bpfMaxInstr     = 64
	bpfPathMax      = bpfMaxInstr * 8
)

type sockFilter struct {
	code   uint16
	jt, jf uint8
	k      uint32
}

type bpfInfo struct {
	mode, num uint16
	fd        int32
	// union is the program, or the pinned object's path.
	union [bpfPathMax]byte
}

func (b *bpfInfo) unmarshal(p []byte) {
	b.mode, b.num, b.fd = hostOrder.Uint16(p[0:]), hostOrder.Uint16(p[2:]), int32(hostOrder.Uint32(p[4:]))
	copy(b.union[:], p[8:8+bpfPathMax])
}

func (b *bpfInfo) marshal(p []byte) {
	hostOrder.PutUint16(p[0:], b.mode)
	hostOrder.PutUint16(p[2:], b.num)
	hostOrder.PutUint32(p[4:], uint32(b.fd))
	copy(p[8:8+bpfPathMax], b.union[:])
}

func (b *bpfInfo) instr(i int) sockFilter {
	u := b.union[8*i:]
	return sockFilter{hostOrder.Uint16(u), u[2], u[3], hostOrder.Uint32(u[4:])}
}

func (b *bpfInfo) setInstr(i int, f sockFilter) {
	u := b.union[8*i:]
	hostOrder.PutUint16(u, f.code)
	u[2], u[3] = f.jt, f.jf
	hostOrder.PutUint32(u[4:], f.k)
}

func init() {
	Register(&Extension{
		Name: "bpf", Revision: 1, Size: 528,
		Options: []Option{
			{Name: "bytecode", ID: bpfOptBytecode, Type: TypeString},
			{Name: "object-pinned", ID: bpfOptPinned, Type: TypeString},
		},
		Parse: func(info []byte, c *OptionCall) error {
			var b bpfInfo
			b.unmarshal(info)
			if c.Option.ID == bpfOptBytecode {
				if err := b.parseBytecode(c.Arg()); err != nil {
					return err
				}
				b.mode = bpfModeBytecode
			} else {
				path := c.Arg()
				putCString(b.union[:], path)
				fd, err := bpfPinnedFD(path)
				if err != nil {
					return badSpec(path, "bpf: failed to get bpf object")
				}
				b.fd, b.mode = int32(fd), bpfModePinned
			}
			b.marshal(info)
			return nil
		},
		// libxt_bpf's x6_fcheck: exactly one of the two.
		FinalFirst: true,
		Final: func(_ []byte, ctx *ParseContext) error {
			const code, pinned = 1 << bpfOptBytecode, 1 << bpfOptPinned
			if f := ctx.given() & (code | pinned); f != code && f != pinned {
				return badSpec("-m bpf", "bpf: one of --bytecode or --pinned is required")
			}
			return nil
		},
		Save: func(info []byte, w *Writer) {
			var b bpfInfo
			b.unmarshal(info)
			switch b.mode {
			case bpfModeBytecode:
				w.WriteString(` --bytecode "` + utoa(b.num) + ",")
				b.printCode(w, '"')
			case bpfModePinned:
				w.WriteString(" --object-pinned " + cString(b.union[:]))
			}
		},
		Print: func(info []byte, w *Writer) {
			var b bpfInfo
			b.unmarshal(info)
			w.WriteString("match bpf ")
			switch b.mode {
			case bpfModeBytecode:
				b.printCode(w, 0)
			case bpfModePinned:
				w.WriteString("pinned " + cString(b.union[:]))
			default:
				w.WriteString("unknown")
			}
		},
	})
}

// printCode writes the instructions, comma-separated, the last followed
// by tail.
func (b *bpfInfo) printCode(w *Writer, tail byte) {
	n := min(int(b.num), bpfMaxInstr)
	for i := 0; i < n; i++ {
		f := b.instr(i)
		w.WriteString(utoa(f.code) + " " + utoa(f.jt) + " " + utoa(f.jf) + " " + utoa(f.k))
		if i < n-1 {
			w.WriteByte(',')
		} else {
			w.WriteByte(tail)
		}
	}
}

// parseBytecode reads "N,CODE JT JF K,..." as libxt_bpf does.
func (b *bpfInfo) parseBytecode(prog string) error {
	fail := func(format string, a ...any) error { return badSpec(prog, "bpf: "+format, a...) }
	// sscanf("%hu%c"): the length, then a comma right after it.
	n, end, ok := scanUint(prog, 0)
	if !ok || end >= len(prog) || prog[end] != ',' {
		return fail("error parsing program length")
	}
	num := uint16(n)
	if num == 0 {
		return fail("illegal zero length program")
	}
	if num > bpfMaxInstr {
		return fail("number of instructions exceeds maximum")
	}
	i := 0
	for tok := 0; ; {
		c := indexByteFrom(prog, tok, ',')
		if c < 0 || c+1 >= len(prog) {
			break
		}
		tok = c + 1
		if i >= int(num) {
			return fail("real program length exceeds the encoded length parameter")
		}
		// sscanf("%hu %hhu %hhu %u,"): four numbers, blanks between.
		var v [4]uint64
		pos := tok
		for k := range v {
			if v[k], pos, ok = scanUint(prog, pos); !ok {
				return fail("error at instr %d", i)
			}
		}
		b.setInstr(i, sockFilter{uint16(v[0]), uint8(v[1]), uint8(v[2]), uint32(v[3])})
		i++
	}
	if i != int(num) {
		return fail("parsed program length is less than the encoded length parameter")
	}
	b.num = num
	return nil
}

// scanUint reads a decimal number at s[pos:] as scanf's %u does (blanks
// skipped, a sign allowed, a minus negating modulo 2^64, an overflow
// giving the maximum); the caller keeps the bits its conversion keeps.
func scanUint(s string, pos int) (v uint64, end int, ok bool) {
	i := pos
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	j := i
	if j < len(s) && (s[j] == '+' || s[j] == '-') {
		j++
	}
	if j >= len(s) || s[j] < '0' || s[j] > '9' {
		return 0, pos, false
	}
	v, n, _ := strtoul(s[i:], 10)
	return v, i + n, true
}

// indexByteFrom is the index of c in s at or after from (-1: none).
func indexByteFrom(s string, from int, c byte) int {
	for i := from; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// Pinned programs: the kernel takes the program by a file descriptor of
// the process that sends the rule. iptables opens it and lets its exit
// close it; a library process lives on, so each path is opened once and
// its descriptor kept for the life of the process.
var (
	bpfPinnedMu  sync.Mutex
	bpfPinnedFDs = map[string]int{}
)

// bpfPinnedFD opens the program pinned at path (read-only first, then
// read-write, as libxt_bpf does), or returns the descriptor opened
// before.
func bpfPinnedFD(path string) (int, error) {
	bpfPinnedMu.Lock()
	defer bpfPinnedMu.Unlock()
	if fd, ok := bpfPinnedFDs[path]; ok {
		return fd, nil
	}
	p, err := unix.BytePtrFromString(path)
	if err != nil {
		return -1, err
	}
	attr := struct {
		pathname  uint64
		bpfFD     uint32
		fileFlags uint32
	}{pathname: uint64(uintptr(unsafe.Pointer(p)))}
	var fd uintptr
	var errno unix.Errno
	for _, flags := range []uint32{unix.BPF_F_RDONLY, 0} {
		attr.fileFlags = flags
		fd, _, errno = unix.Syscall(unix.SYS_BPF, unix.BPF_OBJ_GET, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
		if errno == 0 {
			break
		}
	}
	runtime.KeepAlive(p)
	if errno != 0 {
		return -1, errno
	}
	bpfPinnedFDs[path] = int(fd)
	return int(fd), nil
}
