// Package conntrack lists and deletes the kernel's connection tracking
// entries (flows) over ctnetlink, in the network namespace where Open was
// called. It knows nothing of households or policy: the agent uses it to
// read per-flow byte counters and to cut a device's running flows when the
// device is stopped (bedtime, pause, an exhausted daily limit), so that the
// next packet of each flow is judged again by the firewall's rules.
//
// Flows are decoded with github.com/ti-mo/conntrack. A deletion names the
// flow by its original tuple and zone exactly as the dump reported them
// (any protocol: TCP, UDP, ICMP, …) and by its id, which the kernel checks.
// The id is derived from the entry's address in memory and its tuple, so it
// does not tell an entry from a later one on the same tuple that reuses the
// same memory.
package conntrack

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/mdlayher/netlink"
	ct "github.com/ti-mo/conntrack"
	"github.com/ti-mo/netfilter"
	"golang.org/x/sys/unix"
)

// ctnetlink message types and attributes (linux/netfilter/nfnetlink_conntrack.h);
// golang.org/x/sys/unix does not define them.
const (
	msgGet    = 1 // IPCTNL_MSG_CT_GET
	msgDelete = 2 // IPCTNL_MSG_CT_DELETE

	attrTupleOrig = 1  // CTA_TUPLE_ORIG
	attrID        = 12 // CTA_ID
	attrZone      = 18 // CTA_ZONE
)

// opTimeout bounds the wait for the kernel's answer to one request.
const opTimeout = 10 * time.Second

// Flow is one conntrack entry. Addresses and ports are those of the
// original direction (the side that opened the flow).
type Flow struct {
	// ID is the kernel's id of the entry (CTA_ID); together with the
	// original tuple it names exactly this entry.
	ID uint32
	// Proto is the transport protocol number (6 TCP, 17 UDP, 1 ICMP, 58
	// ICMPv6, …).
	Proto uint8
	// Src and Dst are the original direction's addresses; IPv4 addresses
	// are 4-byte (Is4), never 4-in-6.
	Src, Dst netip.Addr
	// SrcPort and DstPort are the original direction's ports; zero for
	// protocols without ports (ICMP).
	SrcPort, DstPort uint16
	// Mark is the conntrack mark.
	Mark uint32
	// Byte and packet counters of each direction; zero when accounting
	// (net.netfilter.nf_conntrack_acct) was off when the flow was created.
	OrigBytes, ReplyBytes, OrigPackets, ReplyPackets uint64
}

// Conn is a ctnetlink socket. Its methods are safe for concurrent use: each
// request is one netlink request/reply exchange, which mdlayher/netlink
// serialises on the socket (Conn itself holds no mutable state).
type Conn struct {
	nf *netfilter.Conn
}

// Open returns a ctnetlink socket in the network namespace of the calling
// thread. Close it when done.
func Open() (*Conn, error) {
	nf, err := netfilter.Dial(nil)
	if err != nil {
		return nil, fmt.Errorf("conntrack: open: %w", err)
	}
	return &Conn{nf: nf}, nil
}

// Close closes the socket; a request in progress fails.
func (c *Conn) Close() error {
	if err := c.nf.Close(); err != nil {
		return fmt.Errorf("conntrack: close: %w", err)
	}
	return nil
}

// Dump calls fn for every IPv4 and IPv6 flow, in the kernel's order. fn runs
// after the dump has been read (it may call other methods of c), once per
// flow, with a *Flow that is reused: fn must not retain the pointer. Flows
// the dump cannot decode are skipped. The whole dump is read into memory
// before the first call (about 300 bytes per flow, the ctnetlink messages
// themselves); flows are decoded one at a time.
func (c *Conn) Dump(fn func(*Flow)) error {
	msgs, err := c.dump()
	if err != nil {
		return fmt.Errorf("conntrack: dump: %w", err)
	}
	var f Flow
	for _, m := range msgs {
		if decode(m, &f) {
			fn(&f)
		}
	}
	return nil
}

// DeleteFrom deletes every flow whose original source address is one of src
// (IPv4-mapped IPv6 addresses are read as IPv4), except those keep returns
// true for; keep may be nil (delete them all), and it must not retain the
// pointer. It returns how many flows it deleted. A flow that ended between
// the dump and its deletion (ENOENT) is neither an error nor counted. It
// tries every flow even when one deletion fails, and then returns the
// count and the first failure.
func (c *Conn) DeleteFrom(src []netip.Addr, keep func(*Flow) bool) (int, error) {
	if len(src) == 0 {
		return 0, nil
	}
	victims, err := c.victims(src, keep)
	if err != nil {
		return 0, fmt.Errorf("conntrack: delete from: %w", err)
	}
	return c.deleteAll(victims)
}

// deleteAll sends each deletion request; see DeleteFrom for the result.
func (c *Conn) deleteAll(victims []netlink.Message) (int, error) {
	var (
		n     int
		first error
	)
	for _, m := range victims {
		switch _, err := c.query(m); {
		case err == nil:
			n++
		case errors.Is(err, unix.ENOENT):
		case first == nil:
			first = fmt.Errorf("conntrack: delete from: %w", err)
		}
	}
	return n, first
}

// victims dumps the flows and returns the deletion request of each flow
// from src that keep does not keep.
func (c *Conn) victims(src []netip.Addr, keep func(*Flow) bool) ([]netlink.Message, error) {
	from := make(map[netip.Addr]bool, len(src))
	for _, a := range src {
		from[a.Unmap()] = true
	}
	msgs, err := c.dump()
	if err != nil {
		return nil, err
	}
	var (
		f   Flow
		out []netlink.Message
	)
	for _, m := range msgs {
		if !decode(m, &f) || !from[f.Src] || (keep != nil && keep(&f)) {
			continue
		}
		del, err := deleteMessage(m)
		if err != nil {
			return nil, err
		}
		out = append(out, del)
	}
	return out, nil
}

// dump asks the kernel for every flow of both families.
func (c *Conn) dump() ([]netlink.Message, error) {
	req, err := netfilter.MarshalNetlink(netfilter.Header{
		SubsystemID: netfilter.NFSubsysCTNetlink,
		MessageType: msgGet,
		Family:      netfilter.ProtoUnspec, // both IPv4 and IPv6
		Flags:       netlink.Request | netlink.Dump,
	}, nil)
	if err != nil {
		return nil, err
	}
	return c.query(req)
}

// query sends req and returns the kernel's replies, within opTimeout.
func (c *Conn) query(req netlink.Message) ([]netlink.Message, error) {
	if err := c.nf.SetReadDeadline(time.Now().Add(opTimeout)); err != nil {
		return nil, err
	}
	return c.nf.Query(req)
}

// decode fills f from one dump message; it returns false (f then holds
// garbage) when the message is not a decodable IPv4 or IPv6 flow.
func decode(m netlink.Message, f *Flow) bool {
	var ev ct.Event
	if err := ev.Unmarshal(m); err != nil || ev.Flow == nil {
		return false
	}
	x := ev.Flow
	orig := x.TupleOrig
	if !orig.IP.SourceAddress.IsValid() || !orig.IP.DestinationAddress.IsValid() {
		return false
	}
	*f = Flow{
		ID:           x.ID,
		Proto:        orig.Proto.Protocol,
		Src:          orig.IP.SourceAddress.Unmap(),
		Dst:          orig.IP.DestinationAddress.Unmap(),
		SrcPort:      orig.Proto.SourcePort,
		DstPort:      orig.Proto.DestinationPort,
		Mark:         x.Mark,
		OrigBytes:    x.CountersOrig.Bytes,
		ReplyBytes:   x.CountersReply.Bytes,
		OrigPackets:  x.CountersOrig.Packets,
		ReplyPackets: x.CountersReply.Packets,
	}
	return true
}

// deleteMessage builds the request that deletes the flow of dump message m:
// its original tuple and zone as the kernel sent them, and its id. The
// family is the flow's, as the kernel parses the tuple by it.
func deleteMessage(m netlink.Message) (netlink.Message, error) {
	h, ad, err := netfilter.DecodeNetlink(m)
	if err != nil {
		return netlink.Message{}, err
	}
	ae := netfilter.NewAttributeEncoder()
	var tuple bool
	for ad.Next() {
		switch ad.Type() {
		case attrTupleOrig:
			ae.Bytes(netlink.Nested|attrTupleOrig, ad.Bytes())
			tuple = true
		case attrID:
			ae.Bytes(attrID, ad.Bytes())
		case attrZone:
			ae.Bytes(attrZone, ad.Bytes())
		}
	}
	if err := ad.Err(); err != nil {
		return netlink.Message{}, err
	}
	if !tuple {
		return netlink.Message{}, errors.New("flow without an original tuple")
	}
	return netfilter.EncodeNetlink(netfilter.Header{
		SubsystemID: netfilter.NFSubsysCTNetlink,
		MessageType: msgDelete,
		Family:      h.Family,
		Flags:       netlink.Request | netlink.Acknowledge,
	}, ae)
}
