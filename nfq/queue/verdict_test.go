package queue

import (
	"encoding/binary"
	"reflect"
	"testing"

	"github.com/mdlayher/netlink"

	"github.com/safeinternet/cpe/nfq/ctmark"
)

// decoded is a verdict message read back with mdlayher/netlink, the
// independent decoder.
type decoded struct {
	msgType, flags uint16
	queue          uint16
	verdict, id    uint32
	hasMark        bool
	mark           uint32
	hasCt          bool
	ctMark, ctMask uint32
	payload        []byte
}

func decodeVerdict(t *testing.T, b []byte) decoded {
	t.Helper()
	var m netlink.Message
	if err := m.UnmarshalBinary(b); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if int(m.Header.Length) != len(b) {
		t.Fatalf("header length %d, message %d bytes", m.Header.Length, len(b))
	}
	d := decoded{msgType: uint16(m.Header.Type), flags: uint16(m.Header.Flags)}
	if len(m.Data) < 4 {
		t.Fatal("no nfgenmsg")
	}
	d.queue = binary.BigEndian.Uint16(m.Data[2:4])
	ad, err := netlink.NewAttributeDecoder(m.Data[4:])
	if err != nil {
		t.Fatal(err)
	}
	ad.ByteOrder = binary.BigEndian
	for ad.Next() {
		switch ad.Type() {
		case nfqaVerdictHdr:
			v := ad.Bytes()
			d.verdict, d.id = binary.BigEndian.Uint32(v), binary.BigEndian.Uint32(v[4:])
		case nfqaMark:
			d.hasMark, d.mark = true, ad.Uint32()
		case nfqaPayload:
			d.payload = ad.Bytes()
		case nfqaCt:
			d.hasCt = true
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				for nad.Next() {
					switch nad.Type() {
					case ctaMark:
						d.ctMark = nad.Uint32()
					case ctaMarkMask:
						d.ctMask = nad.Uint32()
					}
				}
				return nil
			})
		default:
			t.Fatalf("unexpected attribute %d", ad.Type())
		}
	}
	if err := ad.Err(); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestAppendVerdict(t *testing.T) {
	layout, err := ctmark.New(ctmark.DefaultMask)
	if err != nil {
		t.Fatal(err)
	}
	const foreign = 0x00ff3f00 // pbr and mwan3 bits already on the packet
	tests := []struct {
		name string
		v    Verdict
		mode MarkMode
		want decoded
	}{
		{
			name: "plain accept carries no mark",
			v:    Verdict{Action: Accept},
			want: decoded{verdict: nfAccept},
		},
		{
			name: "drop",
			v:    Verdict{Action: Drop},
			want: decoded{verdict: nfDrop},
		},
		{
			name: "packet mark keeps foreign bits",
			v:    Verdict{Action: Accept, State: ctmark.Allow, Category: 3},
			mode: MarkPacket,
			want: decoded{verdict: nfAccept, hasMark: true, mark: foreign | layout.Value(ctmark.Allow, 3)},
		},
		{
			name: "ct mark is set under the agent's mask only",
			v:    Verdict{Action: Accept, State: ctmark.Block},
			mode: MarkConntrack,
			want: decoded{verdict: nfAccept, hasCt: true, ctMark: layout.Value(ctmark.Block, 0), ctMask: ctmark.DefaultMask},
		},
		{
			name: "block drops and sets the ct mark",
			v:    Verdict{Action: Drop, State: ctmark.Block, Category: 2},
			mode: MarkConntrack,
			want: decoded{verdict: nfDrop, hasCt: true, ctMark: layout.Value(ctmark.Block, 2), ctMask: ctmark.DefaultMask},
		},
		{
			name: "block in packet-mark mode is accepted with the mark, for the copy chain to reject",
			v:    Verdict{Action: Drop, State: ctmark.Block, Category: 2},
			mode: MarkPacket,
			want: decoded{verdict: nfAccept, hasMark: true, mark: foreign | layout.Value(ctmark.Block, 2)},
		},
		{
			name: "rewritten packet is padded and intact",
			v:    Verdict{Action: Accept, Payload: []byte{0x45, 0, 0, 5, 9}},
			want: decoded{verdict: nfAccept, payload: []byte{0x45, 0, 0, 5, 9}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A leading byte proves the encoder pads relative to the
			// message start; the copy realigns it, since mdlayher/netlink
			// reads words in place and MIPS faults on unaligned loads.
			b := append([]byte(nil), appendVerdict([]byte{0xee}, 7, 0xdeadbeef, &tt.v, tt.mode, foreign, layout)[1:]...)
			if len(b)%4 != 0 {
				t.Errorf("message length %d not aligned", len(b))
			}
			got := decodeVerdict(t, b)
			tt.want.msgType = nfnlSubsysQueue<<8 | nfqnlMsgVerdict
			tt.want.flags = nlmFRequest
			tt.want.queue = 7
			tt.want.id = 0xdeadbeef
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestAppendVerdictAllocs(t *testing.T) {
	layout, _ := ctmark.New(ctmark.DefaultMask)
	buf := make([]byte, 0, 256)
	v := Verdict{Action: Accept, State: ctmark.Allow}
	n := testing.AllocsPerRun(100, func() {
		buf = appendVerdict(buf[:0], 0, 1, &v, MarkPacket, 0, layout)
	})
	if n != 0 {
		t.Errorf("appendVerdict allocates %v times", n)
	}
}
