package dns

import (
	"encoding/binary"
	"fmt"
	"strings"

	"golang.org/x/net/dns/dnsmessage"
)

// Builders of test messages, for fixtures too regular or too long to write
// out in hex. They write exactly what they are told (no compression of their
// own), so tests place pointers by hand with ptr.

// wireName encodes a presentation name ("www.example.com", "" for the root)
// as uncompressed labels.
func wireName(s string) []byte {
	var b []byte
	for _, l := range strings.Split(s, ".") {
		if l == "" {
			continue
		}
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0)
}

// ptr is a compression pointer to off.
func ptr(off int) []byte { return []byte{0xc0 | byte(off>>8), byte(off)} }

// cat joins byte slices.
func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// testMsg is a DNS message under construction.
type testMsg struct{ b []byte }

// Sections, as indexes of their counts in the header.
const (
	secAnswer     = 6
	secAuthority  = 8
	secAdditional = 10
)

// newResponse starts a response (QR, RD, RA) with one question.
func newResponse(id uint16, qname []byte, qtype uint16) *testMsg {
	m := &testMsg{b: []byte{byte(id >> 8), byte(id), 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0}}
	m.b = append(m.b, qname...)
	m.b = binary.BigEndian.AppendUint16(m.b, qtype)
	m.b = binary.BigEndian.AppendUint16(m.b, classIN)
	return m
}

// off is where the next byte goes.
func (m *testMsg) off() int { return len(m.b) }

// rr appends a record to section sec (records must be added in section
// order) and returns the offset of its RDATA.
func (m *testMsg) rr(sec int, owner []byte, typ, class uint16, ttl uint32, rdata []byte) int {
	binary.BigEndian.PutUint16(m.b[sec:], binary.BigEndian.Uint16(m.b[sec:])+1)
	m.b = append(m.b, owner...)
	m.b = binary.BigEndian.AppendUint16(m.b, typ)
	m.b = binary.BigEndian.AppendUint16(m.b, class)
	m.b = binary.BigEndian.AppendUint32(m.b, ttl)
	m.b = binary.BigEndian.AppendUint16(m.b, uint16(len(rdata)))
	at := len(m.b)
	m.b = append(m.b, rdata...)
	return at
}

// an appends a class IN answer record and returns the offset of its RDATA.
func (m *testMsg) an(owner []byte, typ uint16, ttl uint32, rdata []byte) int {
	return m.rr(secAnswer, owner, typ, classIN, ttl, rdata)
}

// param is one SvcParam.
type param struct {
	key uint16
	val []byte
}

// svcb encodes SVCB/HTTPS RDATA.
func svcb(prio uint16, target []byte, params ...param) []byte {
	b := binary.BigEndian.AppendUint16(nil, prio)
	b = append(b, target...)
	for _, p := range params {
		b = binary.BigEndian.AppendUint16(b, p.key)
		b = binary.BigEndian.AppendUint16(b, uint16(len(p.val)))
		b = append(b, p.val...)
	}
	return b
}

// Common SvcParams.
var (
	pALPN = param{1, []byte("\x02h2\x02h3")}
	pV4   = param{4, []byte{192, 0, 2, 1}}
	pECH  = param{5, []byte("\x00\x08ECHCONFG")}
	pV6   = param{6, []byte{0x20, 0x01, 0x0d, 0xb8, 15: 1}}
)

// unpack is dnsmessage's Message.Unpack, with a panic turned into an
// error: x/net v0.55 panics on an SVCB or HTTPS record whose RDATA claims
// to run past the end of the message (unpackSVCBResource slices msg by the
// claimed length).
func unpack(msg []byte) (m dnsmessage.Message, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("dnsmessage panicked: %v", r)
		}
	}()
	err = m.Unpack(msg)
	return m, err
}
