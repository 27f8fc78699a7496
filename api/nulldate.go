package api

import (
	"encoding/json"

	"github.com/dsopilot/dsopilot/datasets"
)

// NullDate is an optional date of an answer: YYYY-MM-DD, or null when
// unset. A datasets.Date writes an unset date as "", which a client's
// date parser refuses (and the schema cannot type as a date); null is
// what every other optional field of the API answers.
type NullDate datasets.Date

// MarshalJSON writes null for the zero date.
func (d NullDate) MarshalJSON() ([]byte, error) {
	if d == 0 {
		return []byte("null"), nil
	}
	return json.Marshal(datasets.Date(d))
}

// UnmarshalJSON reads null (or "") as the zero date.
func (d *NullDate) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = 0
		return nil
	}
	var x datasets.Date
	if err := json.Unmarshal(b, &x); err != nil {
		return err
	}
	*d = NullDate(x)
	return nil
}

// String is YYYY-MM-DD, "" when unset.
func (d NullDate) String() string { return datasets.Date(d).String() }

// appendNullDate writes d as its MarshalJSON does.
func appendNullDate(b []byte, d NullDate) []byte {
	if d == 0 {
		return append(b, "null"...)
	}
	return appendString(b, d.String())
}
