package nft

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Service names come from /etc/services, where nft's getaddrinfo finds them.
var services struct {
	once   sync.Once
	byName map[string]uint16
	byPort map[uint16]string
}

func loadServices() {
	services.byName = map[string]uint16{}
	services.byPort = map[uint16]string{}
	f, err := os.Open("/etc/services")
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		pp := strings.SplitN(fields[1], "/", 2)
		if len(pp) != 2 || pp[1] != "tcp" && pp[1] != "udp" {
			continue
		}
		port, err := strconv.ParseUint(pp[0], 10, 16)
		if err != nil {
			continue
		}
		for _, n := range append([]string{fields[0]}, fields[2:]...) {
			if _, ok := services.byName[n]; !ok {
				services.byName[n] = uint16(port)
			}
		}
		if _, ok := services.byPort[uint16(port)]; !ok {
			services.byPort[uint16(port)] = fields[0]
		}
	}
}

func lookupService(name string) (uint16, bool) {
	services.once.Do(loadServices)
	p, ok := services.byName[name]
	return p, ok
}

func serviceName(port uint16) (string, bool) {
	services.once.Do(loadServices)
	n, ok := services.byPort[port]
	return n, ok
}
