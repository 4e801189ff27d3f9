package compat

import (
	_ "embed"
	"os"
	"strconv"
	"strings"
	"sync"
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
	d := &protocols{byName: map[string]uint8{}}
	for _, f := range netdbLines(systemOr("/etc/protocols", builtinProtocols)) {
		if len(f) < 2 {
			continue
		}
		n, err := strconv.ParseUint(f[1], 10, 8)
		if err != nil {
			continue
		}
		if d.names[n] == "" {
			d.names[n] = f[0]
		}
		for _, name := range append([]string{f[0]}, f[2:]...) {
			if _, ok := d.byName[name]; !ok {
				d.byName[name] = uint8(n)
			}
		}
	}
	for i, name := range [len(d.common)]string{"tcp", "udp", "icmp", "sctp"} {
		n, ok := d.byName[name]
		d.common[i] = commonProto{name, n, ok}
	}
	return d
}

func loadServices() *services {
	d := &services{portByName: map[string]uint16{}, nameByPort: map[string]string{}}
	for _, f := range netdbLines(systemOr("/etc/services", builtinServices)) {
		if len(f) < 2 {
			continue
		}
		port, proto, ok := strings.Cut(f[1], "/")
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			continue
		}
		if _, ok := d.nameByPort[port+"/"+proto]; !ok {
			d.nameByPort[port+"/"+proto] = f[0]
		}
		for _, name := range append([]string{f[0]}, f[2:]...) {
			if _, ok := d.portByName[name+"/"+proto]; !ok {
				d.portByName[name+"/"+proto] = uint16(n)
			}
		}
	}
	return d
}

// systemOr returns the system's file, or the built-in copy where it has
// none.
func systemOr(path, builtin string) string {
	if b, err := os.ReadFile(path); err == nil {
		return string(b)
	}
	return builtin
}

func netdbLines(s string) [][]string {
	var out [][]string
	for _, line := range strings.Split(s, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if f := strings.Fields(line); len(f) > 0 {
			out = append(out, f)
		}
	}
	return out
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
