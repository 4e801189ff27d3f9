package compat

import (
	_ "embed"
	"strconv"
	"strings"
	"sync"

	"github.com/xtnl/xtnl/internal/sysfile"
)

// Protocol and service names, as getprotobyname/getservbyname would find
// them in /etc/protocols and /etc/services. The system files are used when
// present; a copy of Debian's netbase files is built in for distroless
// images that have none.

//go:embed data/protocols
var builtinProtocols string

//go:embed data/services
var builtinServices string

// The two files are read apart, each the first time it is needed: a
// rule naming its protocol (-p tcp) needs only the short protocols file,
// and most never need the services (ports by name).

type protocols struct {
	byName map[string]uint8
	// names holds each number's name ("" when none).
	names [256]string
	// common holds the names nearly every rule uses, as the file has
	// them, looked up before the map (a restore asks for "tcp" once a
	// line).
	common [4]commonProto
}

type commonProto struct {
	name string
	num  uint8
	ok   bool
}

// services maps "name/proto" to a port, and "port/proto" to a name.
type services struct {
	portByName map[string]uint16
	nameByPort map[string]string
}

var (
	getProtocols = sync.OnceValue(loadProtocols)
	getServices  = sync.OnceValue(loadServices)
)

func loadProtocols() *protocols {
	d := &protocols{byName: make(map[string]uint8, 160)}
	eachNetdbLine(systemOr("/etc/protocols", builtinProtocols), func(f []string) {
		if len(f) < 2 {
			return
		}
		n, err := strconv.ParseUint(f[1], 10, 8)
		if err != nil {
			return
		}
		if d.names[n] == "" {
			d.names[n] = f[0]
		}
		for i, name := range f {
			if i == 1 {
				continue // the number; the rest are the name and its aliases
			}
			if _, ok := d.byName[name]; !ok {
				d.byName[name] = uint8(n)
			}
		}
	})
	for i, name := range [len(d.common)]string{"tcp", "udp", "icmp", "sctp"} {
		n, ok := d.byName[name]
		d.common[i] = commonProto{name, n, ok}
	}
	return d
}

func loadServices() *services {
	d := &services{portByName: make(map[string]uint16, 1024), nameByPort: make(map[string]string, 512)}
	eachNetdbLine(systemOr("/etc/services", builtinServices), func(f []string) {
		if len(f) < 2 {
			return
		}
		port, proto, ok := strings.Cut(f[1], "/")
		if !ok {
			return
		}
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			return
		}
		if _, ok := d.nameByPort[f[1]]; !ok {
			d.nameByPort[f[1]] = f[0]
		}
		for i, name := range f {
			if i == 1 {
				continue
			}
			if _, ok := d.portByName[name+"/"+proto]; !ok {
				d.portByName[name+"/"+proto] = uint16(n)
			}
		}
	})
	return d
}

// systemOr returns the system's file, or the built-in copy where it has
// none. (The file is read without os.Open: see sysfile.)
func systemOr(path, builtin string) string {
	if b, err := sysfile.ReadFile(path); err == nil {
		return string(b)
	}
	return builtin
}

// eachNetdbLine calls fn with the fields of each line of a netdb file (no
// comments, no blank lines). The fields are substrings of s; the slice is
// reused from one line to the next.
func eachNetdbLine(s string, fn func(fields []string)) {
	fields := make([]string, 0, 16)
	for len(s) > 0 {
		line, rest, _ := strings.Cut(s, "\n")
		s = rest
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields = appendFields(fields[:0], line, -1)
		if len(fields) > 0 {
			fn(fields)
		}
	}
}

// serviceByName returns the port of a service for protocol proto ("tcp").
func serviceByName(name, proto string) (uint16, bool) {
	p, ok := getServices().portByName[name+"/"+proto]
	return p, ok
}

// serviceName returns the service name of a port, as getservbyport does.
func serviceName(port uint16, proto string) (string, bool) {
	s, ok := getServices().nameByPort[strconv.Itoa(int(port))+"/"+proto]
	return s, ok
}

// protoByName returns a protocol's number.
func protoByName(name string) (uint8, bool) {
	d := getProtocols()
	for i := range d.common {
		if c := &d.common[i]; c.name == name {
			return c.num, c.ok
		}
	}
	p, ok := d.byName[name]
	return p, ok
}

// protoName returns a protocol's name, as getprotobynumber does.
func protoName(n uint8) (string, bool) {
	s := getProtocols().names[n]
	return s, s != ""
}

// servicePortAny is getservbyname(name, NULL): a service of any protocol.
func servicePortAny(name string) (uint16, bool) {
	for _, proto := range []string{"tcp", "udp", "sctp", "dccp"} {
		if p, ok := serviceByName(name, proto); ok {
			return p, true
		}
	}
	return 0, false
}

// gaiPort resolves a port as libxtables' XTTYPE_PORT does, through
// getaddrinfo's service argument: glibc reads it with strtoul(s, &end, 10)
// into an int, so "65536" wraps to 0 and "-1" or trailing text fall back
// to a service name lookup.
func gaiPort(s string) (uint16, bool) {
	if s == "" {
		return 0, false
	}
	v, n, _ := strtoul(s, 10)
	if n == len(s) {
		if num := int32(uint32(v)); num >= 0 {
			return uint16(num), true
		}
	}
	return servicePortAny(s)
}
