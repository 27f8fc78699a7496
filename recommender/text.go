package recommender

import "strconv"

// Plural writes a count with its noun, singular for one and plural
// otherwise ("1 day", "0 days", "3 invoices"): the one place the
// recommender's and the credit advice's sentences count things, so that no
// reason reads "1 days". Nouns take a plain s; irregular ones are not used.
func Plural(n int, noun string) string {
	if n == 1 || n == -1 {
		return strconv.Itoa(n) + " " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
