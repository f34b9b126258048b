// Package ctmark encodes the agent's verdict into the bits of a conntrack
// (or packet) mark that the agent owns.
//
// The agent owns one contiguous run of bits, the mask; every other bit of the
// mark belongs to someone else (mwan3, pbr, qosify) and is never changed. Inside
// the mask, the two lowest bits carry the state (unclassified, allow, block) and
// the remaining bits carry a category id, so that the kernel can act on a flow
// without asking userspace again.
package ctmark

import (
	"errors"
	"fmt"
	"math/bits"
)

// DefaultMask avoids the bits used by mwan3 (0x3f00) and pbr (0x00ff0000).
const DefaultMask uint32 = 0x7f000000

// State is what a flow's mark says about it.
type State uint8

// States, as stored in the two lowest bits of the mask.
const (
	Unclassified State = 0 // no verdict yet: the flow may still be queued
	Allow        State = 1 // accepted: the kernel accepts the rest of the flow
	Block        State = 2 // blocked: the kernel rejects the rest of the flow
)

// String returns the state's name.
func (s State) String() string {
	switch s {
	case Unclassified:
		return "unclassified"
	case Allow:
		return "allow"
	case Block:
		return "block"
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// ErrMask reports a mask the layout cannot use.
var ErrMask = errors.New("ctmark: mask must be one contiguous run of at least 2 bits")

// Layout places the agent's fields inside a mark. The zero value is not
// usable; build one with New.
type Layout struct {
	mask  uint32
	shift uint8
}

// New returns the layout for mask, or ErrMask when mask is not one contiguous
// run of at least two bits.
func New(mask uint32) (Layout, error) {
	if mask == 0 {
		return Layout{}, ErrMask
	}
	shift := bits.TrailingZeros32(mask)
	run := mask >> shift
	if run&(run+1) != 0 || bits.OnesCount32(run) < 2 {
		return Layout{}, ErrMask
	}
	return Layout{mask: mask, shift: uint8(shift)}, nil
}

// Mask returns the bits the agent owns.
func (l Layout) Mask() uint32 { return l.mask }

// StateMask returns the bits that hold the state.
func (l Layout) StateMask() uint32 { return 3 << l.shift }

// MaxCategory returns the largest category id the layout can carry.
func (l Layout) MaxCategory() uint32 { return l.mask >> l.shift >> 2 }

// Value returns the bits (inside the mask, other bits zero) for a state and a
// category. A category larger than MaxCategory is stored as 0 (none).
func (l Layout) Value(s State, category uint32) uint32 {
	if category > l.MaxCategory() {
		category = 0
	}
	return (uint32(s)&3 | category<<2) << l.shift & l.mask
}

// Apply returns mark with the agent's bits replaced by Value(s, category);
// bits outside the mask are kept.
func (l Layout) Apply(mark uint32, s State, category uint32) uint32 {
	return mark&^l.mask | l.Value(s, category)
}

// State reads the state from a mark.
func (l Layout) State(mark uint32) State { return State(mark >> l.shift & 3) }

// Category reads the category id from a mark.
func (l Layout) Category(mark uint32) uint32 { return mark & l.mask >> l.shift >> 2 }
