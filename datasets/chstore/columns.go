package chstore

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/dsopilot/dsopilot/datasets"
)

// maxMoney is the largest magnitude Decimal(18, 2) holds, in cents. The driver
// only checks that a value fits an Int64, so a larger one would be stored as
// a number ClickHouse itself considers out of range.
const maxMoney = 999_999_999_999_999_999

// column is one column of an entity table. The same value drives the INSERT
// column list, the SELECT list and the conversions both ways, so the three
// cannot drift apart.
type column[T any] struct {
	name   string
	chType string // as system.columns spells it; the tests compare
	// check rejects a value the ClickHouse type cannot hold; nil when every
	// value of the Go type fits.
	check func(*T) error
	// values returns the column of rows as the slice type the driver's
	// columnar Append takes ([]string, []time.Time, ...), and a function
	// to call once the driver has copied it, which recycles the slice.
	values func(rows []T) (any, func())
	// scan returns a destination for rows.Scan and a function copying the
	// scanned value into a record; the pair is reused for every row.
	scan func() (dest any, set func(*T))
}

func stringColumn[T any](name string, field func(*T) *string) column[T] {
	return column[T]{
		name:   name,
		chType: "String",
		values: gatherer(func(r *T) string { return *field(r) }),
		scan: func() (any, func(*T)) {
			var v string
			return &v, func(r *T) { *field(r) = v }
		},
	}
}

// dateColumn stores a datasets.Date as a ClickHouse Date; the unset date (0)
// is 1970-01-01, which is ClickHouse's day 0 as well.
func dateColumn[T any](name string, field func(*T) *datasets.Date) column[T] {
	return column[T]{
		name:   name,
		chType: "Date",
		check: func(r *T) error {
			if d := *field(r); d < 0 || d > datasets.MaxDate {
				return fmt.Errorf("%s is day %d, outside ClickHouse's Date range", name, d)
			}
			return nil
		},
		values: gatherer(func(r *T) time.Time { return field(r).Time() }),
		scan: func() (any, func(*T)) {
			var v time.Time
			return &v, func(r *T) { *field(r) = datasets.DateOf(v) }
		},
	}
}

// moneyColumn stores cents as Decimal(18, 2). The driver takes decimals only
// as decimal.Decimal; built from the cents with exponent -2 it is exact.
func moneyColumn[T any](name string, field func(*T) *datasets.Money) column[T] {
	return column[T]{
		name:   name,
		chType: "Decimal(18, 2)",
		check: func(r *T) error {
			if m := *field(r); m > maxMoney || m < -maxMoney {
				return fmt.Errorf("%s %v exceeds Decimal(18, 2)", name, m)
			}
			return nil
		},
		values: gatherer(func(r *T) decimal.Decimal { return decimal.New(int64(*field(r)), -datasets.MoneyScale) }),
		scan: func() (any, func(*T)) {
			var v decimal.Decimal
			return &v, func(r *T) { *field(r) = datasets.Money(v.Shift(datasets.MoneyScale).IntPart()) }
		},
	}
}

// flagColumn stores a bool as UInt8 (0 or 1): 18.16 has no Bool type.
func flagColumn[T any](name string, field func(*T) *bool) column[T] {
	return column[T]{
		name:   name,
		chType: "UInt8",
		values: gatherer(func(r *T) uint8 {
			if *field(r) {
				return 1
			}
			return 0
		}),
		scan: func() (any, func(*T)) {
			var v uint8
			return &v, func(r *T) { *field(r) = v != 0 }
		},
	}
}

// daysColumn stores a count of days (payment terms) as UInt16.
func daysColumn[T any](name string, field func(*T) *int) column[T] {
	return column[T]{
		name:   name,
		chType: "UInt16",
		check: func(r *T) error {
			if n := *field(r); n < 0 || n > 65535 {
				return fmt.Errorf("%s %d outside 0..65535", name, n)
			}
			return nil
		},
		values: gatherer(func(r *T) uint16 { return uint16(*field(r)) }),
		scan: func() (any, func(*T)) {
			var v uint16
			return &v, func(r *T) { *field(r) = int(v) }
		},
	}
}

// floatColumn stores a float64 (a probability) as Float64.
func floatColumn[T any](name string, field func(*T) *float64) column[T] {
	return column[T]{
		name:   name,
		chType: "Float64",
		values: gatherer(func(r *T) float64 { return *field(r) }),
		scan: func() (any, func(*T)) {
			var v float64
			return &v, func(r *T) { *field(r) = v }
		},
	}
}

// numberColumn stores a number that may be unknown as Float64, NaN when
// unknown: one column, and no Nullable (which costs a second file per
// column and which the rest of the schema avoids).
func numberColumn[T any](name string, field func(*T) *float64, known func(*T) *bool) column[T] {
	return column[T]{
		name:   name,
		chType: "Float64",
		check: func(r *T) error {
			if v := *field(r); *known(r) && (math.IsNaN(v) || math.IsInf(v, 0)) {
				return fmt.Errorf("%s %v is not a finite number", name, v)
			}
			return nil
		},
		values: gatherer(func(r *T) float64 {
			if *known(r) {
				return *field(r)
			}
			return math.NaN()
		}),
		scan: func() (any, func(*T)) {
			var v float64
			return &v, func(r *T) {
				if math.IsNaN(v) {
					*field(r), *known(r) = 0, false
				} else {
					*field(r), *known(r) = v, true
				}
			}
		},
	}
}

// columnsOf returns the store columns of a field: one, or two for payment
// terms (days and end-of-month flag).
func columnsOf[T any](f datasets.Field[T]) []column[T] {
	name := f.StoreName()
	switch f.Kind {
	case datasets.KindText:
		return []column[T]{stringColumn(name, f.Text)}
	case datasets.KindDate:
		return []column[T]{dateColumn(name, f.Date)}
	case datasets.KindMoney:
		return []column[T]{moneyColumn(name, f.Money)}
	case datasets.KindBool:
		return []column[T]{flagColumn(name, f.Bool)}
	case datasets.KindTerms:
		terms := f.Terms
		return []column[T]{
			daysColumn(name+"_days", func(r *T) *int { return &terms(r).Days }),
			flagColumn(name+"_eom", func(r *T) *bool { return &terms(r).EOM }),
		}
	case datasets.KindProbability:
		return []column[T]{floatColumn(name, f.Float)}
	case datasets.KindNumber:
		return []column[T]{numberColumn(name, f.Float, f.Known)}
	}
	panic(fmt.Sprintf("chstore: field %s has no store kind %v", f.Name, f.Kind))
}

// gatherer returns a column's values function: it maps every row to one
// value, the columnar form of a field, in a slice reused across chunks
// (the driver copies what it is given, so the slice is free again once
// Append returns; reusing it spares the garbage collector most of a chunk's
// size in allocations).
func gatherer[T, V any](get func(*T) V) func(rows []T) (any, func()) {
	var pool sync.Pool
	return func(rows []T) (any, func()) {
		p, _ := pool.Get().(*[]V)
		if p == nil {
			p = new([]V)
		}
		out := slices.Grow((*p)[:0], len(rows))[:len(rows)]
		for i := range rows {
			out[i] = get(&rows[i])
		}
		*p = out
		return out, func() {
			clear(out) // drop the references into the rows
			pool.Put(p)
		}
	}
}
