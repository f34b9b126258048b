package conntrack

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/mdlayher/netlink"
	"github.com/ti-mo/netfilter"
)

// These tests need no kernel; they also run under qemu-user (MIPS is big
// endian: ctnetlink values are big endian, attribute headers host order).

// ctnetlink attributes of the fixture (linux/netfilter/nfnetlink_conntrack.h).
const (
	attrTupleReply    = 2  // CTA_TUPLE_REPLY
	attrMark          = 8  // CTA_MARK
	attrCountersOrig  = 9  // CTA_COUNTERS_ORIG
	attrCountersReply = 10 // CTA_COUNTERS_REPLY
	attrTupleIP       = 1  // CTA_TUPLE_IP
	attrTupleProto    = 2  // CTA_TUPLE_PROTO
	attrIPv6Src       = 3  // CTA_IP_V6_SRC
	attrIPv6Dst       = 4  // CTA_IP_V6_DST
	attrProtoNum      = 1  // CTA_PROTO_NUM
	attrProtoSrcPort  = 2  // CTA_PROTO_SRC_PORT
	attrProtoDstPort  = 3  // CTA_PROTO_DST_PORT
	attrCountPackets  = 1  // CTA_COUNTERS_PACKETS
	attrCountBytes    = 2  // CTA_COUNTERS_BYTES
)

// tupleAttrs encodes an IPv6 TCP tuple.
func tupleAttrs(ae *netlink.AttributeEncoder, src, dst netip.Addr, sport, dport uint16) {
	ae.Nested(attrTupleIP, func(nae *netlink.AttributeEncoder) error {
		nae.Bytes(attrIPv6Src, src.AsSlice())
		nae.Bytes(attrIPv6Dst, dst.AsSlice())
		return nil
	})
	ae.Nested(attrTupleProto, func(nae *netlink.AttributeEncoder) error {
		nae.Uint8(attrProtoNum, 6)
		nae.Uint16(attrProtoSrcPort, sport)
		nae.Uint16(attrProtoDstPort, dport)
		return nil
	})
}

// dumpMessage is one ctnetlink dump reply for an IPv6 TCP flow
// [fd00::2]:40000 → [fd00:1::9]:443, mark 0x01000014, id 0xdeadbeef,
// zone 7, 10 packets / 1200 bytes out and 20 packets / 30000 bytes back.
func dumpMessage(t *testing.T) netlink.Message {
	t.Helper()
	src, dst := netip.MustParseAddr("fd00::2"), netip.MustParseAddr("fd00:1::9")
	ae := netfilter.NewAttributeEncoder()
	ae.Nested(attrTupleOrig, func(nae *netlink.AttributeEncoder) error {
		tupleAttrs(nae, src, dst, 40000, 443)
		return nil
	})
	ae.Nested(attrTupleReply, func(nae *netlink.AttributeEncoder) error {
		tupleAttrs(nae, dst, src, 443, 40000)
		return nil
	})
	counters := func(typ uint16, packets, bytes uint64) {
		ae.Nested(typ, func(nae *netlink.AttributeEncoder) error {
			nae.Uint64(attrCountPackets, packets)
			nae.Uint64(attrCountBytes, bytes)
			return nil
		})
	}
	counters(attrCountersOrig, 10, 1200)
	counters(attrCountersReply, 20, 30000)
	ae.Uint32(attrMark, 0x01000014)
	ae.Uint32(attrID, 0xdeadbeef)
	ae.Uint16(attrZone, 7)
	m, err := netfilter.EncodeNetlink(netfilter.Header{
		SubsystemID: netfilter.NFSubsysCTNetlink,
		MessageType: 0, // IPCTNL_MSG_CT_NEW, as dump replies are
		Family:      netfilter.ProtoIPv6,
		Flags:       netlink.Multi,
	}, ae)
	if err != nil {
		t.Fatal(err)
	}
	// Round trip through the wire form, as the kernel's replies arrive.
	const headerLen = 16 // struct nlmsghdr
	m.Header.Length = uint32(headerLen + len(m.Data))
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var out netlink.Message
	if err := out.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDecode(t *testing.T) {
	var f Flow
	if !decode(dumpMessage(t), &f) {
		t.Fatal("decode failed")
	}
	want := Flow{
		ID: 0xdeadbeef, Proto: 6,
		Src: netip.MustParseAddr("fd00::2"), Dst: netip.MustParseAddr("fd00:1::9"),
		SrcPort: 40000, DstPort: 443, Mark: 0x01000014,
		OrigBytes: 1200, ReplyBytes: 30000, OrigPackets: 10, ReplyPackets: 20,
	}
	if f != want {
		t.Errorf("decode =\n%+v\nwant\n%+v", f, want)
	}
	if decode(netlink.Message{Data: []byte{1, 2}}, &f) {
		t.Error("decode accepted a truncated message")
	}
}

func TestDeleteMessage(t *testing.T) {
	dump := dumpMessage(t)
	del, err := deleteMessage(dump)
	if err != nil {
		t.Fatal(err)
	}
	h, attrs, err := netfilter.UnmarshalNetlink(del)
	if err != nil {
		t.Fatal(err)
	}
	if h.SubsystemID != netfilter.NFSubsysCTNetlink || h.MessageType != msgDelete || h.Family != netfilter.ProtoIPv6 {
		t.Errorf("header %v, want a ctnetlink delete for IPv6", h)
	}
	if h.Flags&netlink.Acknowledge == 0 {
		t.Error("the delete asks for no acknowledgement")
	}
	_, dumped, err := netfilter.UnmarshalNetlink(dump)
	if err != nil {
		t.Fatal(err)
	}
	byType := func(as []netfilter.Attribute) map[uint16]netfilter.Attribute {
		m := map[uint16]netfilter.Attribute{}
		for _, a := range as {
			m[a.Type] = a
		}
		return m
	}
	got, orig := byType(attrs), byType(dumped)
	if len(got) != 3 {
		t.Errorf("delete carries %d attributes, want 3 (tuple, id, zone): %v", len(got), attrs)
	}
	for _, typ := range []uint16{attrTupleOrig, attrID, attrZone} {
		a, b := got[typ], orig[typ]
		ab, _ := netfilter.MarshalAttributes([]netfilter.Attribute{a})
		bb, _ := netfilter.MarshalAttributes([]netfilter.Attribute{b})
		if len(ab) == 0 || !bytes.Equal(ab, bb) {
			t.Errorf("attribute %d = % x, want the dump's % x", typ, ab, bb)
		}
	}
}
