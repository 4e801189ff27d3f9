package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// machine describes where the numbers come from: they only mean something
// next to the CPUs, the kernel and the tools' versions.
func machine() string {
	var parts []string
	parts = append(parts, fmt.Sprintf("nproc %d", runtime.NumCPU()))
	if m := cpuModel(); m != "" {
		parts = append(parts, "CPU "+m)
	}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		parts = append(parts, "kernel "+unix.ByteSliceToString(u.Release[:]))
	}
	for _, tool := range []string{"iptables", "nft"} {
		if out, err := exec.Command(tool, "--version").Output(); err == nil {
			parts = append(parts, strings.TrimSpace(string(out)))
		}
	}
	parts = append(parts, runtime.Version())
	if d, err := firstTouchCost(); err == nil {
		parts = append(parts, fmt.Sprintf("first write to a fresh 4 KiB page %.1f µs", d.Seconds()*1e6))
	}
	return strings.Join(parts, ", ")
}

// firstTouchCost is what the first write to a page of fresh anonymous
// memory costs (the page fault), the median of a few rounds. Every
// workload writes megabytes of fresh memory in a fresh process; the floor
// writes its batch before its clock starts. On a machine where a fault
// costs ~10 µs rather than ~0.2 µs (some virtual machines), that is
// milliseconds of every ratio; see the README.
func firstTouchCost() (time.Duration, error) {
	const size, rounds = 8 << 20, 5
	var ds []time.Duration
	for range rounds {
		mem, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
		if err != nil {
			return 0, err
		}
		start := time.Now()
		for i := 0; i < size; i += 4096 {
			mem[i] = 1
		}
		ds = append(ds, time.Since(start)/(size/4096))
		_ = unix.Munmap(mem)
	}
	slices.Sort(ds)
	return ds[rounds/2], nil
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
