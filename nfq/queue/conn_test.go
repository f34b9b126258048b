package queue

import (
	"encoding/binary"
	"reflect"
	"testing"
)

// packetMsg builds a NFQNL_MSG_PACKET body the way the kernel does:
// nfgenmsg, then attributes with host-order headers and big-endian values.
func packetMsg(id uint32, mark uint32, ifindex uint32, hw []byte, payload []byte) []byte {
	b := []byte{2, 0, 0, 0} // AF_INET, version 0, queue 0
	hdr := binary.BigEndian.AppendUint32(nil, id)
	hdr = append(hdr, 0x08, 0x00, 1) // hw protocol, hook
	b = appendAttr(b, nfqaPacketHdr, hdr)
	b = appendAttr(b, nfqaMark, binary.BigEndian.AppendUint32(nil, mark))
	b = appendAttr(b, nfqaIfindexIn, binary.BigEndian.AppendUint32(nil, ifindex))
	if hw != nil {
		h := binary.BigEndian.AppendUint16(nil, uint16(len(hw)))
		h = append(h, 0, 0)
		h = append(h, hw...)
		for len(h) < 12 {
			h = append(h, 0)
		}
		b = appendAttr(b, nfqaHwAddr, h)
	}
	return appendAttr(b, nfqaPayload, payload)
}

func TestParsePacket(t *testing.T) {
	payload := []byte{0x45, 0, 0, 20, 1, 2, 3}
	tests := []struct {
		name string
		msg  []byte
		ok   bool
		want Packet
	}{
		{"ethernet sender", packetMsg(42, 0x00ff0000, 7, []byte{2, 0, 0, 0, 0, 0x0a}, payload), true,
			Packet{ID: 42, Mark: 0x00ff0000, InIndex: 7, HwAddr: [6]byte{2, 0, 0, 0, 0, 0x0a}, HasHwAddr: true, Payload: payload}},
		{"no link-layer address", packetMsg(1, 0, 3, nil, payload), true,
			Packet{ID: 1, InIndex: 3, Payload: payload}},
		{"8-byte hardware address is not a MAC", packetMsg(1, 0, 3, []byte{1, 2, 3, 4, 5, 6, 7, 8}, payload), true,
			Packet{ID: 1, InIndex: 3, Payload: payload}},
		{"no packet header", appendAttr([]byte{2, 0, 0, 0}, nfqaPayload, payload), false, Packet{Payload: payload}},
		{"short", []byte{2, 0}, false, Packet{}},
		{"attribute longer than message", append([]byte{2, 0, 0, 0}, 0xff, 0x00, 1, 0), false, Packet{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Packet
			ok := parsePacket(tt.msg, &p)
			if ok != tt.ok {
				t.Errorf("ok = %v, want %v", ok, tt.ok)
			}
			if string(p.Payload) != string(tt.want.Payload) {
				t.Errorf("payload %x, want %x", p.Payload, tt.want.Payload)
			}
			p.Payload, tt.want.Payload = nil, nil
			if !reflect.DeepEqual(p, tt.want) {
				t.Errorf("got  %+v\nwant %+v", p, tt.want)
			}
		})
	}
}

func TestParsePacketAllocs(t *testing.T) {
	msg := packetMsg(42, 0, 7, []byte{2, 0, 0, 0, 0, 0x0a}, make([]byte, 300))
	var p Packet
	if n := testing.AllocsPerRun(100, func() { parsePacket(msg, &p) }); n != 0 {
		t.Errorf("parsePacket allocates %v times", n)
	}
}

func BenchmarkParsePacket(b *testing.B) {
	msg := packetMsg(42, 0, 7, []byte{2, 0, 0, 0, 0, 0x0a}, make([]byte, 80))
	var p Packet
	b.ReportAllocs()
	for b.Loop() {
		parsePacket(msg, &p)
	}
}

// FuzzParsePacket: any bytes from the socket parse without panicking, and
// a payload, when found, lies inside the message.
func FuzzParsePacket(f *testing.F) {
	f.Add(packetMsg(42, 1, 7, []byte{2, 0, 0, 0, 0, 0x0a}, []byte{0x45, 0, 0, 20}))
	f.Add(packetMsg(1, 0, 0, nil, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Packet
		parsePacket(b, &p)
		if len(p.Payload) > len(b) {
			t.Fatalf("payload of %d bytes from a %d-byte message", len(p.Payload), len(b))
		}
	})
}
