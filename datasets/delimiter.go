package datasets

// GuessDelimiter is the delimiter of a CSV file whose header is line: the
// one of ',', ';', tab and '|' that parts it most often outside quotes,
// ',' when none does. The importer reads ledger files and ReadFX rates
// files by it, so that a spreadsheet saved in a decimal-comma locale
// ("currency;rate") reads the same in both.
func GuessDelimiter(line string) rune {
	best, bestN := ',', 0
	for _, d := range []rune{',', ';', '\t', '|'} {
		n, quoted := 0, false
		for _, c := range line {
			switch {
			case c == '"':
				quoted = !quoted
			case c == d && !quoted:
				n++
			}
		}
		if n > bestN {
			best, bestN = d, n
		}
	}
	return best
}
