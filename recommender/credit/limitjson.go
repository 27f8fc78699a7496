package credit

import (
	"encoding/json"

	"github.com/dsopilot/dsopilot/features"
)

// A limit no one recorded (a blank credit_limit, LimitNotRecorded) is null
// in the JSON of suggestions, flags and proposals, as in the API's: the
// 0.00 the structs hold would read as a limit of 0, no credit, to a reader
// that does not look at limit_source beside it.

// limitOrNull is m, or nil when no limit is recorded.
func limitOrNull(m features.KPIMoney, notRecorded bool) *features.KPIMoney {
	if notRecorded {
		return nil
	}
	return &m
}

// MarshalJSON gives current_limit null when no limit is recorded.
func (s Suggestion) MarshalJSON() ([]byte, error) {
	type plain Suggestion // without this method
	return json.Marshal(struct {
		plain
		Current *features.KPIMoney `json:"current_limit"`
	}{plain(s), limitOrNull(s.Current, s.LimitSource == LimitNotRecorded)})
}

// MarshalJSON gives limit null when no limit is recorded.
func (c CustomerFlags) MarshalJSON() ([]byte, error) {
	type plain CustomerFlags
	return json.Marshal(struct {
		plain
		Limit *features.KPIMoney `json:"limit"`
	}{plain(c), limitOrNull(c.Limit, c.LimitSource == LimitNotRecorded)})
}

// MarshalJSON gives old_limit null when none was recorded (OldLimitBlank).
func (p Proposal) MarshalJSON() ([]byte, error) {
	type plain Proposal
	return json.Marshal(struct {
		plain
		OldLimit *features.KPIMoney `json:"old_limit"`
	}{plain(p), limitOrNull(p.OldLimit, p.OldLimitBlank)})
}
