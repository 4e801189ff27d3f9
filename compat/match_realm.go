package compat

// realm: -m realm [!] --realm VALUE[/MASK] (IPv4 only; struct
// xt_realm_info, 9 bytes): u32 id, u32 mask, u8 invert, as the mark
// match's (markMaskInfo). Names come from /etc/iproute2/rt_realms, as
// iptables reads them; -S prints the name of an unmasked id found there
// ("cosmos" for 0), else 0xID or 0xID/0xMASK. The kernel allows it only in
// INPUT, FORWARD, OUTPUT and POSTROUTING.

const realmFile = "/etc/iproute2/rt_realms"

func init() {
	Register(&Extension{
		Name: "realm", Family: IPv4, Revision: 0, Size: 9,
		Options: []Option{{Name: "realm", Type: TypeMarkMask, Flags: Invert | Mandatory, NameFile: realmFile}},
		Parse:   parseMarkMaskInfo,
		Save:    func(info []byte, w *Writer) { realmShow(info, w, " --realm", lmap(realmFile)) },
		Print: func(info []byte, w *Writer) {
			var names []lmapEntry // realm names from iproute2's file, but with -n
			if !w.Numeric() {
				names = lmap(realmFile)
			}
			realmShow(info, w, " realm", names)
		},
		Hooks: []string{"INPUT", "FORWARD", "OUTPUT", "POSTROUTING"},
	})
}

// realmShow writes " [!] NAME 0xID[/0xMASK]", the id by its name in names
// when it has one and no mask.
func realmShow(info []byte, w *Writer, name string, names []lmapEntry) {
	var m markMaskInfo
	m.unmarshal(info)
	if m.invert != 0 {
		w.WriteString(" !")
	}
	w.WriteString(name + formatValMask(m.mark, m.mask, names))
}
