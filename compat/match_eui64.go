package compat

// eui64: ip6tables -m eui64, revision 0 (an int, 4 bytes, always 0): no
// options. The kernel takes it in PREROUTING, INPUT and FORWARD only and
// refuses it elsewhere (EINVAL, exit status 4), as ip6tables-nft relays.
// -S prints "-m eui64"; -L prints nothing for it (libip6t_eui64 has no
// print).

func init() {
	Register(&Extension{
		Name: "eui64", Family: IPv6, Revision: 0, Size: 4,
		Save:  func([]byte, *Writer) {},
		Print: func([]byte, *Writer) {},
	})
}
