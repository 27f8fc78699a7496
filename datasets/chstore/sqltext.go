package chstore

import "strings"

// walkSQL walks the SQL text s byte by byte, as ClickHouse reads it: visit
// gets the index of every byte outside comments, with quoted true inside a
// quoted string or identifier (' " `, the quotes included, a backslash
// escaping the next byte), and returns false to stop; comment gets the
// bounds [start, end) of every -- or /* */ comment (a -- comment ends
// before its newline). The helpers below are its uses.
func walkSQL(s string, visit func(i int, quoted bool) bool, comment func(start, end int)) {
	var quote byte // the open quote; 0 outside quotes
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if !visit(i, true) {
				return
			}
			if c == '\\' && i+1 < len(s) {
				i++
				if !visit(i, true) {
					return
				}
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"' || c == '`':
			quote = c
			if !visit(i, true) {
				return
			}
		case c == '-' && strings.HasPrefix(s[i:], "--"):
			end := len(s)
			if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
				end = i + j
			}
			comment(i, end)
			i = end - 1
		case c == '/' && strings.HasPrefix(s[i:], "/*"):
			end := len(s)
			if j := strings.Index(s[i+2:], "*/"); j >= 0 {
				end = i + 2 + j + 2
			}
			comment(i, end)
			i = end - 1
		default:
			if !visit(i, false) {
				return
			}
		}
	}
}

func noComment(int, int) {}

// splitStatements splits a script on the semicolons that end statements,
// skipping those inside quotes and comments, and drops empty statements
// and comment-only ones.
func splitStatements(script string) []string {
	var (
		out   []string
		start int
		code  bool // the current statement has more than comments and space
	)
	flush := func(end int) {
		if code {
			out = append(out, strings.TrimSpace(script[start:end]))
		}
		start, code = end+1, false
	}
	walkSQL(script, func(i int, quoted bool) bool {
		switch c := script[i]; {
		case !quoted && c == ';':
			flush(i)
		case quoted || c != ' ' && c != '\t' && c != '\n' && c != '\r':
			code = true
		}
		return true
	}, noComment)
	flush(len(script))
	return out
}

// stripComments returns s without its comments, each replaced by a space
// (a -- comment's newline stays).
func stripComments(s string) string {
	var b strings.Builder
	walkSQL(s, func(i int, _ bool) bool {
		b.WriteByte(s[i])
		return true
	}, func(int, int) { b.WriteByte(' ') })
	return b.String()
}

// closingParen returns the index of the parenthesis closing the one at
// open, skipping quoted text.
func closingParen(s string, open int) (int, bool) {
	depth, at := 0, -1
	walkSQL(s[open:], func(i int, quoted bool) bool {
		switch {
		case quoted:
		case s[open+i] == '(':
			depth++
		case s[open+i] == ')':
			depth--
			if depth == 0 {
				at = open + i
				return false
			}
		}
		return true
	}, noComment)
	return at, at >= 0
}

// splitTopLevel splits s on the commas outside parentheses and quotes.
func splitTopLevel(s string) []string {
	var out []string
	depth, start := 0, 0
	walkSQL(s, func(i int, quoted bool) bool {
		switch {
		case quoted:
		case s[i] == '(':
			depth++
		case s[i] == ')':
			depth--
		case s[i] == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
		return true
	}, noComment)
	return append(out, s[start:])
}
