package queue

import (
	"encoding/binary"

	"github.com/safeinternet/cpe/nfq/ctmark"
)

// Action is what the kernel does with the queued packet.
type Action uint8

// Actions.
const (
	Accept Action = iota // let the packet continue
	Drop                 // discard the packet
)

// String returns the action's name.
func (a Action) String() string {
	if a == Drop {
		return "drop"
	}
	return "accept"
}

// Verdict is a handler's answer for one packet.
type Verdict struct {
	Action Action
	// State, when not ctmark.Unclassified, marks the packet's flow so that the
	// kernel decides the rest of it without asking again. A handler blocks a
	// flow with Drop + Block whatever the mode: with MarkConntrack that is
	// sent as it is (the ct mark is set, the packet dropped, and the table
	// rejects the flow's next packets); with MarkPacket a dropped packet would
	// lose its mark, so it is sent as Accept with the Block packet mark, and
	// the table's copy chain stores the mark and rejects the packet itself
	// (TCP reset / ICMP). Accept + Block is sent as it is in both modes; with
	// MarkConntrack the packet then still reaches its destination. (Proven in
	// the VM test, TestVerdictMarksFlow.)
	State ctmark.State
	// Category is carried in the mark next to State (0: none).
	Category uint32
	// Payload, when non-nil, replaces the packet (a complete IP packet). It
	// is read before the handler's next call; the handler may reuse it then.
	Payload []byte
}

// MarkMode is how a verdict marks a flow.
type MarkMode uint8

// Mark modes; see the package documentation.
const (
	MarkPacket    MarkMode = iota // packet mark, copied to the ct mark by the nft table
	MarkConntrack                 // ct mark set by the verdict itself
)

// String returns the mode's name as logged and reported in the status file.
func (m MarkMode) String() string {
	if m == MarkConntrack {
		return "conntrack"
	}
	return "packet-mark"
}

// Netlink constants of nfnetlink_queue and nfnetlink_conntrack.
const (
	nlmsgHdrLen     = 16
	nfgenHdrLen     = 4
	nlmFRequest     = 0x1
	nfnlSubsysQueue = 3
	nfqnlMsgVerdict = 1
	nfnetlinkV0     = 0
	nlaFNested      = 0x8000

	nfqaVerdictHdr = 2
	nfqaMark       = 3
	nfqaPayload    = 10
	nfqaCt         = 11

	ctaMark     = 8
	ctaMarkMask = 21

	nfDrop   = 0
	nfAccept = 1
)

// appendVerdict appends to b the netlink message that gives the verdict v
// for packet id of queue num. mark is the packet's mark as queued; layout
// places the agent's bits. The message is complete, header included; seq is
// left 0 as the kernel does not acknowledge verdicts.
func appendVerdict(b []byte, num uint16, id uint32, v *Verdict, mode MarkMode, mark uint32, layout ctmark.Layout) []byte {
	start := len(b)
	b = append(b, make([]byte, nlmsgHdrLen)...)
	// nfgenmsg: family unspec, version, resource id (queue number, big endian).
	b = append(b, 0, nfnetlinkV0, byte(num>>8), byte(num))

	verdict := uint32(nfAccept)
	if v.Action == Drop && (v.State != ctmark.Block || mode == MarkConntrack) {
		verdict = nfDrop
	}
	b = appendAttrHeader(b, nfqaVerdictHdr, 8)
	b = binary.BigEndian.AppendUint32(b, verdict)
	b = binary.BigEndian.AppendUint32(b, id)

	if v.State != ctmark.Unclassified {
		if mode == MarkConntrack {
			// Nested CTA_MARK + CTA_MARK_MASK: the kernel computes
			// (ct->mark & ~mask) ^ value, so only the agent's bits change.
			b = appendAttrHeader(b, nlaFNested|nfqaCt, 16)
			b = appendAttrHeader(b, ctaMark, 4)
			b = binary.BigEndian.AppendUint32(b, layout.Value(v.State, v.Category))
			b = appendAttrHeader(b, ctaMarkMask, 4)
			b = binary.BigEndian.AppendUint32(b, layout.Mask())
		} else {
			b = appendAttrHeader(b, nfqaMark, 4)
			b = binary.BigEndian.AppendUint32(b, layout.Apply(mark, v.State, v.Category))
		}
	}
	if v.Payload != nil {
		b = appendAttrHeader(b, nfqaPayload, len(v.Payload))
		b = append(b, v.Payload...)
		for (len(b)-start)%4 != 0 {
			b = append(b, 0)
		}
	}

	// nlmsghdr, in host byte order as netlink wants.
	h := b[start:]
	binary.NativeEndian.PutUint32(h[0:4], uint32(len(h)))
	binary.NativeEndian.PutUint16(h[4:6], nfnlSubsysQueue<<8|nfqnlMsgVerdict)
	binary.NativeEndian.PutUint16(h[6:8], nlmFRequest)
	return b
}

// appendAttrHeader appends a netlink attribute header (host byte order) for
// a payload of n bytes; the caller appends the payload, padded to 4 bytes.
func appendAttrHeader(b []byte, typ uint16, n int) []byte {
	b = binary.NativeEndian.AppendUint16(b, uint16(4+n))
	return binary.NativeEndian.AppendUint16(b, typ)
}
