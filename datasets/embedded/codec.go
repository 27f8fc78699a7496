package embedded

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/dsopilot/dsopilot/datasets"
)

// Records are stored as a version byte followed by their fields in the
// schema's store order (datasets.Schema.StoreOrder): strings as a uvarint
// length and the bytes, dates, amounts and term days as zig-zag varints,
// flags as a byte, floats as their 8 IEEE-754 bytes. The format is private
// to this package; bbolt is the storage engine.
//
//   - Version 1 (dsopilot before the collector, policy and propensity
//     fields) holds a fixed number of fields per entity, table.v1Fields.
//   - Version 2 holds a uvarint field count after the version byte. Fields
//     are only ever added at the end of an entity's list, so a record with
//     fewer fields than this build knows reads its missing ones as unset,
//     and one with more was written by a newer build and is refused.
const (
	recordV1 = 1
	recordV2 = 2
)

var (
	errShortRecord = errors.New("record truncated")
	errLongRecord  = errors.New("record has bytes after its last field")
	errFlag        = errors.New("flag byte neither 0 nor 1")
)

// codec encodes and decodes the records of one entity.
type codec[T any] struct {
	fields   []datasets.Field[T] // store order
	v1Fields int                 // fields in a version-1 record
}

func newCodec[T any](s *datasets.Schema[T], v1Fields int) codec[T] {
	return codec[T]{fields: s.StoreOrder(), v1Fields: v1Fields}
}

func (c *codec[T]) encode(buf []byte, r *T) []byte {
	b := append(buf[:0], recordV2)
	b = binary.AppendUvarint(b, uint64(len(c.fields)))
	for i := range c.fields {
		f := &c.fields[i]
		switch f.Kind {
		case datasets.KindText:
			s := *f.Text(r)
			b = binary.AppendUvarint(b, uint64(len(s)))
			b = append(b, s...)
		case datasets.KindDate:
			b = binary.AppendVarint(b, int64(*f.Date(r)))
		case datasets.KindMoney:
			b = binary.AppendVarint(b, int64(*f.Money(r)))
		case datasets.KindBool:
			b = appendBool(b, *f.Bool(r))
		case datasets.KindTerms:
			t := f.Terms(r)
			b = binary.AppendVarint(b, int64(t.Days))
			b = appendBool(b, t.EOM)
		case datasets.KindProbability:
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(*f.Float(r)))
		case datasets.KindNumber:
			known := *f.Known(r)
			b = appendBool(b, known)
			if known {
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(*f.Float(r)))
			}
		default:
			panic(fmt.Sprintf("embedded: field %s of kind %v has no encoding", f.Name, f.Kind))
		}
	}
	return b
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func (c *codec[T]) decode(b []byte) (T, error) {
	var r T
	if len(b) == 0 {
		return r, errShortRecord
	}
	d := decoder{b: b[1:]}
	n := 0
	switch b[0] {
	case recordV1:
		n = c.v1Fields
	case recordV2:
		n = int(min(d.uvarint(), uint64(math.MaxInt32)))
		if d.err == nil && n > len(c.fields) {
			return r, fmt.Errorf("record of %d fields, this build knows %d: written by a newer dsopilot", n, len(c.fields))
		}
	default:
		return r, fmt.Errorf("unknown record version %d", b[0])
	}
	for i := 0; i < n && d.err == nil; i++ {
		f := &c.fields[i]
		switch f.Kind {
		case datasets.KindText:
			*f.Text(&r) = d.str()
		case datasets.KindDate:
			*f.Date(&r) = datasets.Date(d.int())
		case datasets.KindMoney:
			*f.Money(&r) = datasets.Money(d.int())
		case datasets.KindBool:
			*f.Bool(&r) = d.bool()
		case datasets.KindTerms:
			t := f.Terms(&r)
			t.Days = int(d.int())
			t.EOM = d.bool()
		case datasets.KindProbability:
			*f.Float(&r) = d.float()
		case datasets.KindNumber:
			if *f.Known(&r) = d.bool(); *f.Known(&r) {
				*f.Float(&r) = d.float()
			}
		}
	}
	if d.err == nil && len(d.b) > 0 {
		d.err = errLongRecord
	}
	return r, d.err
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.err = errShortRecord
		return 0
	}
	d.b = d.b[k:]
	return v
}

func (d *decoder) str() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if uint64(len(d.b)) < n {
		d.err = errShortRecord
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

// int reads a zig-zag varint (binary.AppendVarint): a uvarint whose low
// bit is the sign.
func (d *decoder) int() int64 {
	u := d.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

func (d *decoder) bool() bool {
	if d.err != nil {
		return false
	}
	if len(d.b) == 0 {
		d.err = errShortRecord
		return false
	}
	if d.b[0] > 1 {
		d.err = errFlag
		return false
	}
	v := d.b[0] == 1
	d.b = d.b[1:]
	return v
}

func (d *decoder) float() float64 {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 8 {
		d.err = errShortRecord
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
	d.b = d.b[8:]
	return v
}
