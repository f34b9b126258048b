package firewall

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/userdata"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// The table is written with netlink messages built here rather than with
// nftables.Conn: google/nftables v0.3.0 cannot encode the direction of a
// conntrack packet counter ("ct original packets"), which the guard needs,
// and a batch must hold every rule to replace the table atomically. The
// expressions themselves are still encoded by google/nftables (expr.Marshal).

// batchTimeout bounds the wait for the kernel's acknowledgements.
const batchTimeout = 10 * time.Second

// byteorderHost is nft's BYTEORDER_HOST_ENDIAN (set key byte order).
const byteorderHost = 1

// etherAddrLen is the length of a MAC address (ETH_ALEN).
const etherAddrLen = 6

// nfAccept is NF_ACCEPT, the base chains' policy.
const nfAccept = 1

// hook numbers (enum nf_inet_hooks).
const (
	hookPrerouting = unix.NF_INET_PRE_ROUTING
	hookInput      = unix.NF_INET_LOCAL_IN
	hookForward    = unix.NF_INET_FORWARD
	hookOutput     = unix.NF_INET_LOCAL_OUT
)

// chainSpec is one chain of the table; hook < 0 makes a regular chain.
// A base chain is a filter chain unless nat is set.
type chainSpec struct {
	name     string
	hook     int
	priority int32
	nat      bool
}

// ruleSpec is one rule: its chain, a comment shown by nft, and its
// expressions, each already marshalled (NFTA_EXPR_NAME + NFTA_EXPR_DATA).
type ruleSpec struct {
	chain   string
	comment string
	exprs   [][]byte
}

// setSpec is a named set of interface names.
type setSpec struct {
	name  string
	id    uint32
	elems []string
}

// msgBuilder accumulates the messages of one batch; the first encoding
// failure sticks in err.
type msgBuilder struct {
	msgs []netlink.Message
	err  error
}

// add appends one nf_tables message of type typ for family fam with the
// attributes written by fn.
func (b *msgBuilder) add(typ int, flags netlink.HeaderFlags, fam byte, fn func(ae *netlink.AttributeEncoder)) {
	ae := netlink.NewAttributeEncoder()
	ae.ByteOrder = binary.BigEndian
	fn(ae)
	data, err := ae.Encode()
	if err != nil {
		if b.err == nil {
			b.err = fmt.Errorf("encode message %d: %w", typ, err)
		}
		return
	}
	b.msgs = append(b.msgs, netlink.Message{
		Header: netlink.Header{
			Type:  netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | typ),
			Flags: netlink.Request | netlink.Acknowledge | flags,
		},
		Data: append(nfgenmsg(fam, 0), data...),
	})
}

// nfgenmsg is the nfnetlink header: family, version, resource id (big endian).
func nfgenmsg(fam byte, resID uint16) []byte {
	return []byte{fam, unix.NFNETLINK_V0, byte(resID >> 8), byte(resID)}
}

// addTable creates table name unless it exists (no NLM_F_EXCL).
func (b *msgBuilder) addTable(fam byte, name string) {
	b.add(unix.NFT_MSG_NEWTABLE, netlink.Create, fam, func(ae *netlink.AttributeEncoder) {
		ae.String(unix.NFTA_TABLE_NAME, name)
		ae.Uint32(unix.NFTA_TABLE_FLAGS, 0)
	})
}

// delTable deletes table name with everything in it.
func (b *msgBuilder) delTable(fam byte, name string) {
	b.add(unix.NFT_MSG_DELTABLE, 0, fam, func(ae *netlink.AttributeEncoder) {
		ae.String(unix.NFTA_TABLE_NAME, name)
	})
}

// addChain creates a chain; base chains (filter or nat) have policy accept.
func (b *msgBuilder) addChain(fam byte, table string, c chainSpec) {
	b.add(unix.NFT_MSG_NEWCHAIN, netlink.Create, fam, func(ae *netlink.AttributeEncoder) {
		ae.String(unix.NFTA_CHAIN_TABLE, table)
		ae.String(unix.NFTA_CHAIN_NAME, c.name)
		if c.hook < 0 {
			return
		}
		ae.Nested(unix.NFTA_CHAIN_HOOK, func(nae *netlink.AttributeEncoder) error {
			nae.Uint32(unix.NFTA_HOOK_HOOKNUM, uint32(c.hook))
			nae.Int32(unix.NFTA_HOOK_PRIORITY, c.priority)
			return nil
		})
		ae.Uint32(unix.NFTA_CHAIN_POLICY, nfAccept)
		if c.nat {
			ae.String(unix.NFTA_CHAIN_TYPE, "nat")
		} else {
			ae.String(unix.NFTA_CHAIN_TYPE, "filter")
		}
	})
}

// addIfnameSet creates a named set of interface names with its elements.
func (b *msgBuilder) addIfnameSet(fam byte, table string, s setSpec) {
	b.add(unix.NFT_MSG_NEWSET, netlink.Create, fam, func(ae *netlink.AttributeEncoder) {
		ae.String(unix.NFTA_SET_TABLE, table)
		ae.String(unix.NFTA_SET_NAME, s.name)
		ae.Uint32(unix.NFTA_SET_FLAGS, 0)
		ae.Uint32(unix.NFTA_SET_KEY_TYPE, nftables.TypeIFName.GetNFTMagic())
		ae.Uint32(unix.NFTA_SET_KEY_LEN, ifNameSize)
		ae.Uint32(unix.NFTA_SET_ID, s.id)
		// nft reads the key byte order from here to print the names.
		ae.Bytes(unix.NFTA_SET_USERDATA, userdata.Append(nil, userdata.NFTNL_UDATA_SET_KEYBYTEORDER,
			binary.NativeEndian.AppendUint32(nil, byteorderHost)))
	})
	b.add(unix.NFT_MSG_NEWSETELEM, netlink.Create, fam, func(ae *netlink.AttributeEncoder) {
		ae.String(unix.NFTA_SET_ELEM_LIST_TABLE, table)
		ae.String(unix.NFTA_SET_ELEM_LIST_SET, s.name)
		ae.Uint32(unix.NFTA_SET_ELEM_LIST_SET_ID, s.id)
		ae.Nested(unix.NFTA_SET_ELEM_LIST_ELEMENTS, func(list *netlink.AttributeEncoder) error {
			for _, name := range s.elems {
				list.Nested(unix.NFTA_LIST_ELEM, func(el *netlink.AttributeEncoder) error {
					el.Nested(unix.NFTA_SET_ELEM_KEY, func(key *netlink.AttributeEncoder) error {
						key.Bytes(unix.NFTA_DATA_VALUE, ifname(name))
						return nil
					})
					return nil
				})
			}
			return nil
		})
	})
}

// addEtherSet creates the named set of MAC addresses (nft type ether_addr)
// with elems as its members.
func (b *msgBuilder) addEtherSet(fam byte, table, name string, id uint32, elems [][6]byte) {
	b.add(unix.NFT_MSG_NEWSET, netlink.Create, fam, func(ae *netlink.AttributeEncoder) {
		ae.String(unix.NFTA_SET_TABLE, table)
		ae.String(unix.NFTA_SET_NAME, name)
		ae.Uint32(unix.NFTA_SET_FLAGS, 0)
		ae.Uint32(unix.NFTA_SET_KEY_TYPE, nftables.TypeEtherAddr.GetNFTMagic())
		ae.Uint32(unix.NFTA_SET_KEY_LEN, etherAddrLen)
		ae.Uint32(unix.NFTA_SET_ID, id)
	})
	b.addEtherElems(fam, table, name, id, elems)
}

// addEtherElems adds elems to the named set of MAC addresses; nothing when
// elems is empty.
func (b *msgBuilder) addEtherElems(fam byte, table, name string, id uint32, elems [][6]byte) {
	if len(elems) == 0 {
		return
	}
	b.add(unix.NFT_MSG_NEWSETELEM, netlink.Create, fam, func(ae *netlink.AttributeEncoder) {
		ae.String(unix.NFTA_SET_ELEM_LIST_TABLE, table)
		ae.String(unix.NFTA_SET_ELEM_LIST_SET, name)
		if id != 0 {
			ae.Uint32(unix.NFTA_SET_ELEM_LIST_SET_ID, id)
		}
		ae.Nested(unix.NFTA_SET_ELEM_LIST_ELEMENTS, func(list *netlink.AttributeEncoder) error {
			for _, mac := range elems {
				list.Nested(unix.NFTA_LIST_ELEM, func(el *netlink.AttributeEncoder) error {
					el.Nested(unix.NFTA_SET_ELEM_KEY, func(key *netlink.AttributeEncoder) error {
						key.Bytes(unix.NFTA_DATA_VALUE, mac[:])
						return nil
					})
					return nil
				})
			}
			return nil
		})
	})
}

// flushSet deletes every element of the named set (a DELSETELEM without an
// element list).
func (b *msgBuilder) flushSet(fam byte, table, name string) {
	b.add(unix.NFT_MSG_DELSETELEM, 0, fam, func(ae *netlink.AttributeEncoder) {
		ae.String(unix.NFTA_SET_ELEM_LIST_TABLE, table)
		ae.String(unix.NFTA_SET_ELEM_LIST_SET, name)
	})
}

// addRule appends a rule at the end of its chain.
func (b *msgBuilder) addRule(fam byte, table string, r ruleSpec) {
	b.add(unix.NFT_MSG_NEWRULE, netlink.Create|netlink.HeaderFlags(unix.NLM_F_APPEND), fam, func(ae *netlink.AttributeEncoder) {
		ae.String(unix.NFTA_RULE_TABLE, table)
		ae.String(unix.NFTA_RULE_CHAIN, r.chain)
		ae.Nested(unix.NFTA_RULE_EXPRESSIONS, func(list *netlink.AttributeEncoder) error {
			for _, e := range r.exprs {
				list.Bytes(netlink.Nested|unix.NFTA_LIST_ELEM, e)
			}
			return nil
		})
		if r.comment != "" {
			ae.Bytes(unix.NFTA_RULE_USERDATA, commentUserdata(r.comment))
		}
	})
}

// commentUserdata encodes a rule comment as nft writes it; comments are
// short constants, cut at 254 bytes (the TLV length is one byte).
func commentUserdata(s string) []byte {
	if len(s) > 254 {
		s = s[:254]
	}
	return userdata.AppendString(nil, userdata.TypeComment, s)
}

// ifname returns name NUL-padded to IFNAMSIZ, as the kernel compares it.
func ifname(name string) []byte {
	b := make([]byte, ifNameSize)
	copy(b, name)
	return b
}

// stoppedMessages replaces the members of the agent's stopped set with macs:
// flush, then add, in one transaction.
func stoppedMessages(macs [][6]byte) []netlink.Message {
	var b msgBuilder
	b.flushSet(unix.NFPROTO_INET, TableName, stoppedSet)
	b.addEtherElems(unix.NFPROTO_INET, TableName, stoppedSet, 0, macs)
	return b.msgs
}

// removeMessages deletes table name, creating it first so that the batch
// succeeds whether or not it existed.
func removeMessages(name string) []netlink.Message {
	var b msgBuilder
	b.addTable(unix.NFPROTO_INET, name)
	b.delTable(unix.NFPROTO_INET, name)
	return b.msgs
}

// sendBatch sends msgs as one nf_tables transaction in network namespace
// netns (0: the caller's) and waits for every acknowledgement. The kernel
// applies all messages or none.
func sendBatch(netns int, msgs []netlink.Message) error {
	c, err := netlink.Dial(unix.NETLINK_NETFILTER, &netlink.Config{NetNS: netns})
	if err != nil {
		return fmt.Errorf("dial netlink: %w", err)
	}
	defer c.Close()
	if err := c.SetReadDeadline(time.Now().Add(batchTimeout)); err != nil {
		return fmt.Errorf("set deadline: %w", err)
	}

	all := make([]netlink.Message, 0, len(msgs)+2)
	all = append(all, netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(unix.NFNL_MSG_BATCH_BEGIN), Flags: netlink.Request},
		Data:   nfgenmsg(unix.AF_UNSPEC, unix.NFNL_SUBSYS_NFTABLES),
	})
	all = append(all, msgs...)
	all = append(all, netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(unix.NFNL_MSG_BATCH_END), Flags: netlink.Request},
		Data:   nfgenmsg(unix.AF_UNSPEC, unix.NFNL_SUBSYS_NFTABLES),
	})
	if _, err := c.SendMessages(all); err != nil {
		return fmt.Errorf("send batch: %w", err)
	}
	// Every message asked for an acknowledgement; the kernel sends one per
	// message (an error instead for a refused one) once the whole batch has
	// been processed. The first error is the cause; the batch was aborted.
	for acks := 0; acks < len(msgs); {
		replies, err := c.Receive()
		if err != nil {
			return fmt.Errorf("batch: %w", err)
		}
		for _, m := range replies {
			if m.Header.Type == netlink.Error {
				acks++
			}
		}
	}
	return nil
}

// tableExists asks the kernel for inet table name in netns.
func tableExists(netns int, name string) (bool, error) {
	c, err := nftables.New(nftables.WithNetNSFd(netns))
	if err != nil {
		return false, err
	}
	_, err = c.ListTableOfFamily(name, nftables.TableFamilyINet)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, unix.ENOENT):
		return false, nil
	}
	return false, err
}
